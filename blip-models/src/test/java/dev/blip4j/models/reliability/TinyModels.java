package dev.blip4j.models.reliability;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.Workloads;
import dev.blip4j.models.testing.Workloads.Workload;
import java.util.ArrayList;
import java.util.List;

/**
 * The tiny golden models of every task loaded once, with the workloads each serves: what the
 * thread-safety and leak tests run. A new task adds its model and workloads in {@link #load()}.
 */
record TinyModels(List<BlipModel> models, List<Workload> workloads) implements AutoCloseable {

    static TinyModels load() {
        List<BlipModel> models = new ArrayList<>();
        List<Workload> workloads = new ArrayList<>();
        try {
            BlipModel caption = add(models, BlipModel.load(Golden.of("caption").hf()));
            BlipModel itm = add(models, BlipModel.load(Golden.of("itm").hf()));
            BlipModel vqa = add(models, BlipModel.load(Golden.of("vqa").hf()));
            BlipModel nlvr = add(models, dev.blip4j.models.testing.GoldenModels.load(Golden.of("nlvr"),
                    dev.blip4j.models.checkpoint.Layout.ORIGINAL));
            workloads.addAll(Workloads.captioning(caption));
            workloads.addAll(Workloads.matching(itm));
            workloads.addAll(Workloads.answering(vqa));
            workloads.addAll(Workloads.reasoning(nlvr));
            workloads.addAll(Workloads.inputs(caption));
            return new TinyModels(List.copyOf(models), List.copyOf(workloads));
        } catch (RuntimeException e) {
            models.forEach(BlipModel::close);
            throw e;
        }
    }

    private static BlipModel add(List<BlipModel> models, BlipModel m) {
        models.add(m);
        return m;
    }

    @Override
    public void close() {
        models.forEach(BlipModel::close);
    }
}
