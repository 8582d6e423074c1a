package dev.berth.image.store;

/** One layer of an image: the blob as fetched (maybe compressed) and the digest of its tar. */
public record LayerRecord(Digest blob, String mediaType, long size, Digest diffId) {}
