/** 16-bit wire sequence numbers, unwrapped against a 32-bit-or-more local reference. */
export const SEQ_BITS = 16
const SPAN = 1 << SEQ_BITS
const HALF = SPAN >>> 1

/** The unwrapped value closest to `reference` whose low 16 bits are `wire`. */
export function unwrapSeq(wire: number, reference: number): number {
  const base = reference - (reference & (SPAN - 1))
  let v = base + wire
  if (v - reference > HALF) v -= SPAN
  else if (reference - v > HALF) v += SPAN
  return v
}
