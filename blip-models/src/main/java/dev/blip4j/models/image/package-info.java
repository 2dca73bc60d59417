/**
 * Image input for BLIP, reproducing the Python pipeline pixel for pixel:
 * {@code PIL.Image.open(f).convert("RGB")} ({@link dev.blip4j.models.image.ImageLoader}), then
 * {@code resize((S, S), BICUBIC)} ({@link dev.blip4j.models.image.PilResize}), then torchvision's
 * {@code ToTensor()} and {@code Normalize(CLIP mean, CLIP std)}
 * ({@link dev.blip4j.models.image.ImagePreprocessor}), with
 * {@link dev.blip4j.models.image.RgbImage} as the one pixel format in between.
 *
 * <p>Why exactness matters: the model's reference outputs (and the checkpoints' behaviour) come
 * from images prepared by Pillow 9.4 and torch. A resampler that is only "also bicubic" or a
 * decoder that applies colour profiles shifts inputs by a few levels and outputs by more than the
 * goldens' tolerances allow. Measured against the golden data: decoded PNGs, resized images and
 * normalised tensors are all bit-identical; JPEG decoding is bit-identical to libjpeg-turbo (the
 * decoder inside Pillow) on baseline, progressive, grey, CMYK, YCCK and ICC-tagged files. Lossy
 * WebP is the known exception (TwelveMonkeys' VP8 decoder is not libwebp).
 */
package dev.blip4j.models.image;
