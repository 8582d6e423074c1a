package dev.berth.runtime.sandbox;

/** A host port forwarded into the pod; protocol is tcp, udp or sctp. */
public record PortMapping(String protocol, int containerPort, int hostPort, String hostIp) {}
