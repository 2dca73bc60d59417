package dev.blip4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.BlipEngine;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TorchScript written and compiled here runs through DJL and computes what the same ops compute in DJL. */
class TorchScriptTest {

    @Test
    void compiledFunctionMatchesTheSameOpsInDjl() {
        try (NDManager m = BlipEngine.newManager(null)) {
            TorchScript addmm = TorchScript.compile("AddMm", "x: Tensor, ws: List[Tensor]", "Tensor",
                    "return torch.addmm(ws[1], x, torch.t(ws[0]))", m);
            NDArray x = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray w = m.create(new float[] {1, 0, -1, 0.5f, 0.5f, 0.5f}, new Shape(2, 3));
            NDArray b = m.create(new float[] {10, 20});
            NDArray y = addmm.apply(m, x, List.of(w, b));
            assertArrayEquals(new float[] {8, 23, 8, 27.5f}, y.toFloatArray());
            assertArrayEquals(x.matMul(w.transpose()).add(b).toFloatArray(), y.toFloatArray());
        }
    }

    @Test
    void writesIntoAnExistingArrayAndLoops() {
        try (NDManager m = BlipEngine.newManager(null)) {
            TorchScript triad = TorchScript.compile("Triad", "a: Tensor, b: Tensor, c: Tensor, s: float, iters: int",
                    "Tensor", """
                    for i in range(iters):
                      a = torch.add(b, c, alpha=s, out=a)
                    return a
                    """, m);
            NDArray a = m.zeros(new Shape(4));
            NDArray b = m.create(new float[] {1, 2, 3, 4});
            NDArray c = m.create(new float[] {1, 1, 2, 2});
            triad.apply(m, a, b, c, 3.0, 2).close();
            assertArrayEquals(new float[] {4, 5, 9, 10}, a.toFloatArray());
        }
    }

    @Test
    void sourceThatDoesNotCompileIsReportedWithTheSource() {
        try (NDManager m = BlipEngine.newManager(null)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TorchScript.compile("Broken",
                    "x: Tensor", "Tensor", "return torch.no_such_op(x)", m));
            assertTrue(e.getMessage().contains("Broken") && e.getMessage().contains("no_such_op"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> TorchScript.compile("bad name", "x: Tensor", "Tensor",
                    "return x", m));
        }
    }
}
