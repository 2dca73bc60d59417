package dev.blip4j.models.checkpoint;

/**
 * A storage named by a pickle's persistent id, {@code ('storage', torch.FloatStorage, key, location,
 * numel)}, before its bytes are read. Only storages that a returned tensor views are ever read, so a
 * checkpoint that also carries an optimizer state costs no memory for it.
 *
 * @param key the storage's name, its bytes are the zip entry {@code <archive>/data/<key>}
 * @param dtype element type, from the storage class
 * @param numel number of elements the storage holds
 */
record TorchStorage(String key, DType dtype, long numel) {}
