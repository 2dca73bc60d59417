package dev.blip4j.models.checkpoint;

/**
 * What {@code torch._utils._rebuild_tensor_v2} describes: a strided view into a storage. Kept lazy
 * so the view can be checked against its storage with the state-dict key in the error message, and
 * so views of one storage can be recognised as the same tensor (tied weights).
 *
 * @param storage the viewed storage
 * @param offset first element, in elements
 * @param shape sizes
 * @param stride steps in elements, one per dimension
 */
record TorchTensorView(TorchStorage storage, long offset, long[] shape, long[] stride) {}
