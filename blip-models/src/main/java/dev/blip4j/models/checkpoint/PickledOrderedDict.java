package dev.blip4j.models.checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code collections.OrderedDict} as a pickle rebuilds it. PyTorch state dicts are OrderedDicts
 * that carry a {@code _metadata} attribute, which the pickle restores with BUILD after the items
 * were set; the attributes are kept here apart from the items, so BUILD cannot wipe the items the
 * way Pyrolite's generic {@code ClassDict.__setstate__} does.
 */
final class PickledOrderedDict extends LinkedHashMap<Object, Object> {

    private final Map<Object, Object> attributes = new LinkedHashMap<>();

    /** Instance attributes set by BUILD, e.g. torch's {@code _metadata}. */
    Map<Object, Object> attributes() {
        return attributes;
    }
}
