/**
 * BLIP's image, text and image-grounded text features ({@link dev.blip4j.models.features.FeatureExtractor}),
 * as {@code BLIP_Base.forward(mode='image'|'text'|'multimodal')} returns them and LAVIS
 * {@code extract_features} names them, and the {@link dev.blip4j.models.features.ModelIdentity} stored
 * beside saved features so that they are never mixed with another model's.
 */
package dev.blip4j.models.features;
