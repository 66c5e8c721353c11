/**
 * A minimal protobuf encoder for the parts of onnx.proto that a graph builder needs: ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto. Field numbers come from
 * onnx/onnx.proto (IR version 8). Encoding only: we never read ONNX files back, ORT does.
 *
 * Why not a protobuf library: the subset is ~150 lines, and a dependency would ship a schema compiler
 * into the browser bundle for no gain.
 */

/** ONNX TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProto };

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian bytes of the elements (TensorProto.raw_data). */
  raw: Uint8Array;
}

export interface NodeProto {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, AttrValue>;
}

/** A dimension is a fixed size or a symbolic name (dim_param) such as 'batch'. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  elemType: number;
  shape: Dim[];
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: TensorProto[];
}

export interface ModelProto {
  irVersion: number;
  opset: number;
  producerName: string;
  graph: GraphProto;
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const textEncoder = new TextEncoder();

/** Growable byte buffer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint; negative int64 values take the 10-byte two's-complement form. */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, textEncoder.encode(s));
  }

  int(field: number, v: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, WIRE_I32);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  /** A packed repeated varint field. */
  packedInts(field: number, vs: number[]): void {
    const inner = new Writer();
    for (const v of vs) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  message(field: number, encode: (w: Writer) => void): void {
    const inner = new Writer();
    encode(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

// Field numbers below are onnx.proto's; the comment names the message.

function writeTensor(w: Writer, t: TensorProto): void {
  // TensorProto: dims=1, data_type=2, name=8, raw_data=9
  if (t.dims.length > 0) w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  if (t.name) w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeAttr(w: Writer, name: string, a: AttrValue): void {
  // AttributeProto: name=1, f=2, i=3, s=4, t=5, ints=8, type=20 (FLOAT=1 INT=2 STRING=3 TENSOR=4 INTS=7)
  w.string(1, name);
  switch (a.kind) {
    case 'float': w.float(2, a.value); w.int(20, 1); break;
    case 'int': w.int(3, a.value); w.int(20, 2); break;
    case 'string': w.string(4, a.value); w.int(20, 3); break;
    case 'tensor': w.message(5, (m) => writeTensor(m, a.value)); w.int(20, 4); break;
    case 'ints': w.packedInts(8, a.value); w.int(20, 7); break;
  }
}

function writeNode(w: Writer, n: NodeProto): void {
  // NodeProto: input=1, output=2, name=3, op_type=4, attribute=5
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, (m) => writeAttr(m, k, v));
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  // ValueInfoProto: name=1, type=2; TypeProto: tensor_type=1; TypeProto.Tensor: elem_type=1, shape=2;
  // TensorShapeProto: dim=1; Dimension: dim_value=1, dim_param=2
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, v.elemType);
      tt.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeGraph(w: Writer, g: GraphProto): void {
  // GraphProto: node=1, name=2, initializer=5, input=11, output=12
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/** Serialises a model to the bytes of an .onnx file. */
export function encodeModel(model: ModelProto): Uint8Array {
  // ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8; OperatorSetIdProto: domain=1, version=2
  const w = new Writer();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.message(7, (m) => writeGraph(m, model.graph));
  w.message(8, (m) => {
    m.string(1, '');
    m.int(2, model.opset);
  });
  return w.finish();
}

/** An int64 tensor (shapes, axes) for an initializer. */
export function int64Tensor(name: string, values: number[], dims: number[] = [values.length]): TensorProto {
  const a = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims, dataType: ONNX_INT64, raw: new Uint8Array(a.buffer) };
}

/** A float32 tensor for an initializer; `dims = []` makes a scalar. */
export function floatTensor(name: string, values: number[], dims: number[] = [values.length]): TensorProto {
  const a = new Float32Array(values);
  return { name, dims, dataType: ONNX_FLOAT, raw: new Uint8Array(a.buffer) };
}
