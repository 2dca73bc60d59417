package dev.blip4j.models.checkpoint;

/** Where a checkpoint's names and configuration come from. */
public enum Layout {
    /** Salesforce's {@code torch.save({'model': state_dict})} files with {@code med_config.json}. */
    ORIGINAL,
    /** A HuggingFace {@code Salesforce/blip-*} directory: {@code config.json} and safetensors or {@code .bin}. */
    HUGGINGFACE
}
