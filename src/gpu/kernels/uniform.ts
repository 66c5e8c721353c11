/** Little helpers to fill the Params uniforms documented in shaders/README.md. */
export class UniformWriter {
  readonly buf: ArrayBuffer;
  private readonly view: DataView;
  constructor(byteLength: number) { this.buf = new ArrayBuffer(byteLength); this.view = new DataView(this.buf); }
  u32(byteOffset: number, v: number): this { this.view.setUint32(byteOffset, v >>> 0, true); return this; }
  f32(byteOffset: number, v: number): this { this.view.setFloat32(byteOffset, v, true); return this; }
  /** A packed array<vec4<u32>, 4> of up to 16 values (index k at k * 4 bytes). */
  u32s(byteOffset: number, vs: number[]): this { vs.forEach((v, i) => this.u32(byteOffset + 4 * i, v)); return this; }
  f32s(byteOffset: number, vs: number[]): this { vs.forEach((v, i) => this.f32(byteOffset + 4 * i, v)); return this; }
}

/** Most inputs one dispatch takes (the uniform tables hold 16). */
export const MAX_INPUTS = 16;
export const WG = 256;
