package dev.berth.runtime.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * WebSocket data messages to and from {@link ChannelMessage}s. Binary protocols put the channel
 * in the first byte; the base64 ones ({@code *.base64.channel.k8s.io}) send text messages whose
 * first character is {@code '0' + channel} and whose rest is the payload in base64. Empty
 * messages carry nothing and are dropped, as the kubelet does.
 */
final class ChannelMessageCodec extends MessageToMessageCodec<WebSocketFrame, ChannelMessage> {
  private final boolean base64;

  ChannelMessageCodec(boolean base64) {
    this.base64 = base64;
  }

  @Override
  public boolean acceptInboundMessage(Object msg) {
    return msg instanceof BinaryWebSocketFrame || msg instanceof TextWebSocketFrame;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
    ByteBuf content = frame.content();
    if (!content.isReadable()) {
      return;
    }
    int first = content.readUnsignedByte();
    byte[] rest = ByteBufUtil.getBytes(content);
    if (!base64) {
      out.add(new ChannelMessage(first, rest));
      return;
    }
    int channel = first - '0';
    if (channel < 0) {
      throw new StreamProtocolException("base64 message on channel character " + (char) first);
    }
    try {
      out.add(new ChannelMessage(channel, Base64.getDecoder().decode(rest)));
    } catch (IllegalArgumentException e) {
      throw new StreamProtocolException("message on channel " + channel + " is not base64: " + e.getMessage());
    }
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ChannelMessage message, List<Object> out) {
    if (base64) {
      String text = (char) ('0' + message.channel()) + Base64.getEncoder().encodeToString(message.data());
      out.add(new TextWebSocketFrame(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII)));
    } else {
      out.add(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) message.channel()}, message.data())));
    }
  }
}
