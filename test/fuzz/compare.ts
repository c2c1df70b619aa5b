/**
 * Compares one output of glassbox with onnxruntime-web's: shapes equal, NaN at the same
 * positions, ±Inf equal, and the finite rest within 1e-3 relative L2 (with an absolute floor
 * of 1e-5 on the largest difference, for outputs that are zero or nearly so).
 *
 * @module
 */

/** The relative L2 tolerance of the fuzzer (onnxruntime-web's default test tolerance is 1e-3). */
export const REL_L2_TOLERANCE = 1e-3;
/** Differences up to this are accepted whatever the norm (outputs that are zero or nearly). */
export const ABS_FLOOR = 1e-5;

/** An output read back: its shape and values as numbers. */
export interface OutputValues {
  shape: number[];
  values: Float64Array;
}

/** The comparison of one output. */
export interface OutputComparison {
  name: string;
  agree: boolean;
  /** Why they disagree, in words; empty when they agree. */
  reason: string;
  relL2: number;
  maxAbs: number;
}

/** Compares glassbox's output `gb` with the reference `ref`. */
export function compareOutput(name: string, gb: OutputValues, ref: OutputValues): OutputComparison {
  const result = (agree: boolean, reason: string, relL2 = NaN, maxAbs = NaN) => ({
    name,
    agree,
    reason,
    relL2,
    maxAbs,
  });
  if (gb.shape.join() !== ref.shape.join()) {
    return result(false, `shape [${gb.shape}] vs onnxruntime [${ref.shape}]`);
  }
  let diff2 = 0;
  let ref2 = 0;
  let maxAbs = 0;
  for (let i = 0; i < ref.values.length; i++) {
    const a = gb.values[i];
    const b = ref.values[i];
    if (Number.isNaN(b) || Number.isNaN(a)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) {
        return result(false, `element ${i}: ${a} vs onnxruntime ${b} (NaN positions differ)`);
      }
      continue;
    }
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (a !== b) {
        return result(false, `element ${i}: ${a} vs onnxruntime ${b} (infinities differ)`);
      }
      continue;
    }
    const d = a - b;
    diff2 += d * d;
    ref2 += b * b;
    maxAbs = Math.max(maxAbs, Math.abs(d));
  }
  const relL2 = ref2 > 0 ? Math.sqrt(diff2 / ref2) : (diff2 > 0 ? Infinity : 0);
  const agree = relL2 <= REL_L2_TOLERANCE || maxAbs <= ABS_FLOOR;
  return result(
    agree,
    agree ? '' : `relative L2 ${relL2.toPrecision(3)}, max |Δ| ${maxAbs.toPrecision(3)}`,
    relL2,
    maxAbs,
  );
}
