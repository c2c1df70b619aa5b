// nn/binary_overflow.wgsl — checks an i32 elementwise add, sub, mul or div (numpy broadcasting,
// the geometry of nn/binary.wgsl) for results that do not fit in 32 bits: int64 is held as i32 on
// the GPU, where nn/binary.wgsl wraps, so such a result would be silently wrong. The first
// overflowing element is recorded in the engine's check flag, which the host copies out with
// the next readback and turns into an IntegerOverflowError naming the node
// (src/ops/deferred_check.ts). It reads the operands only; the result is not needed.
//
// Bindings (group 0):
//   0  a       storage, read        array<i32>          a's elements, row-major
//   1  b       storage, read        array<i32>          b's elements, row-major
//   2  flag    storage, read_write  array<atomic<u32>>  [hits, check, position, a, b, ...]
//   3  geom    storage, read        array<u32>          [n, rank, outShape[rank], aStrides[rank],
//                                                        bStrides[rank]]; rank 0: a, b and the
//                                                        output share one shape (index by i)
//   4  params  uniform              Params              { check, base, _, _ }: base is added to
//                                                        the recorded position (blocked runs)
// Dispatch: ceil(n / WG) workgroups, linear, folded by the engine; tail bounds-checked.
// Overrides: WG workgroup size (default 64).
//            OP 0 add  1 sub  2 mul  3 div (the codes of nn/binary.wgsl).
// Numerics: exact. add/sub overflow when the wrapped result's sign disagrees with the operands'
//   (two's-complement rule); mul forms the 64-bit product of the magnitudes from 16-bit halves
//   and compares it with 2³¹ − 1 (2³¹ for a negative product); div overflows only for
//   −2³¹ / −1 (x / 0 is ONNX-undefined, not an overflow). One failure is recorded until the host
//   clears the flag: the first dispatch, in recording order, that finds one.

override WG: u32 = 64u;
override OP: u32 = 0u;

struct Params {
  check: u32,
  base: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> a: array<i32>;
@group(0) @binding(1) var<storage, read> b: array<i32>;
@group(0) @binding(2) var<storage, read_write> flag: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read> geom: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

fn magnitude(x: i32) -> u32 {
  let u = bitcast<u32>(x);
  return select(u, 0u - u, x < 0);
}

fn mul_overflows(x: i32, y: i32) -> bool {
  if (x == 0 || y == 0) {
    return false;
  }
  let ux = magnitude(x);
  let uy = magnitude(y);
  // ux, uy ≤ 2³¹, so every partial product and sum below fits in u32.
  let a0 = ux & 0xffffu;
  let a1 = ux >> 16u;
  let b0 = uy & 0xffffu;
  let b1 = uy >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  let lo = (p00 & 0xffffu) | (mid << 16u);
  let limit = select(0x7fffffffu, 0x80000000u, (x < 0) != (y < 0));
  return hi != 0u || lo > limit;
}

fn overflows(x: i32, y: i32) -> bool {
  if (OP == 0u) {
    let r = x + y;
    return ((x ^ r) & (y ^ r)) < 0;
  }
  if (OP == 1u) {
    let r = x - y;
    return ((x ^ y) & (x ^ r)) < 0;
  }
  if (OP == 2u) {
    return mul_overflows(x, y);
  }
  return x == bitcast<i32>(0x80000000u) && y == -1;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + nwg.x * (wid.y + nwg.y * wid.z)) * WG + lid;
  let n = geom[0];
  if (i >= n) {
    return;
  }
  let rank = geom[1];
  var ia = i;
  var ib = i;
  if (rank > 0u) {
    ia = 0u;
    ib = 0u;
    var rest = i;
    for (var d = rank; d > 0u; d--) {
      let dim = geom[2u + d - 1u];
      let c = rest % dim;
      rest = rest / dim;
      ia += c * geom[2u + rank + d - 1u];
      ib += c * geom[2u + 2u * rank + d - 1u];
    }
  }
  let x = a[ia];
  let y = b[ib];
  if (!overflows(x, y)) {
    return;
  }
  if (atomicLoad(&flag[0]) != 0u) {
    return;
  }
  if (atomicAdd(&flag[0], 1u) == 0u) {
    atomicStore(&flag[1], params.check);
    atomicStore(&flag[2], params.base + i);
    atomicStore(&flag[3], bitcast<u32>(x));
    atomicStore(&flag[4], bitcast<u32>(y));
  }
}
