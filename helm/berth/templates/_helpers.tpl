{{- define "berth.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "berth.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "berth.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* /etc/berth/config.toml on the nodes: the keys the chart sets; everything else keeps its default. */}}
{{- define "berth.configToml" -}}
# Written by the Helm chart {{ .Chart.Name }}-{{ .Chart.Version }} (release {{ .Release.Name }}).
log_level = {{ .Values.logLevel | quote }}
metrics_address = {{ if .Values.metrics.enabled }}{{ printf "0.0.0.0:%v" .Values.metrics.port | quote }}{{ else }}"off"{{ end }}
[cni]
conf_dir = {{ .Values.cni.confDir | quote }}
bin_dirs = [{{ range $i, $d := .Values.cni.binDirs }}{{ if $i }}, {{ end }}{{ $d | quote }}{{ end }}]
{{- range $name, $binary := .Values.runtimeHandlers }}
[runtime.handlers.{{ $name }}]
runtime_path = {{ $binary | quote }}
{{- end }}
[registry]
plain_http_hosts = [{{ range $i, $h := .Values.registry.plainHttpHosts }}{{ if $i }}, {{ end }}{{ $h | quote }}{{ end }}]
[registry.mirrors]
{{- range $host, $urls := .Values.registry.mirrors }}
{{ $host | quote }} = [{{ range $i, $u := $urls }}{{ if $i }}, {{ end }}{{ $u | quote }}{{ end }}]
{{- end }}
{{- end -}}
