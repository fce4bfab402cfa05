/**
 * The store's on-disk format: a 16-byte file header, then framed records.
 *
 * Header: magic `OTHSTORE` (8 bytes), format version (u32 LE), CRC-32 of the first 12 bytes
 * (u32 LE). A file whose header does not read back is foreign or corrupt.
 *
 * Record: payload length (u32 LE), CRC-32 of the length bytes and the payload (u32 LE), payload.
 * The payload's first byte is the record kind. A record is whole when its length fits in the
 * file and its CRC matches; the first record that is not whole ends the readable prefix.
 *
 * Also here: CRC-32 (zlib.crc32 where Node has it, ≥ 20.15 / 22.2; a table otherwise) and the
 * little varint codec the row encoding uses.
 */
import zlib from 'node:zlib';

export const MAGIC = Buffer.from('OTHSTORE', 'latin1');
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 16;
export const FRAME_SIZE = 8;
/** Largest payload accepted (a bigger record is refused at append). */
export const MAX_RECORD_SIZE = 1 << 20;
/**
 * Largest single write the log issues (queued records are batched up to this). Damage after
 * the last whole record that is no longer than this is a torn tail; longer damage is corruption.
 */
export const MAX_WRITE_SIZE = 1 << 20;

export const enum RecordKind {
  /** A metric row (raw or a tier row): binary, see rows.ts. */
  Row = 1,
  /** An AlertTransition as JSON. */
  Transition = 2,
  /** A keyed state snapshot: key, then JSON. */
  Put = 3,
  /** Removes a key. */
  Delete = 4,
  /** Raw-deflated concatenation of framed records (written by compaction only). */
  Block = 5,
}

// ---- CRC-32 (IEEE, as zlib) ----

let table: Int32Array | undefined;
function tableCrc32(data: Uint8Array, value = 0): number {
  if (table === undefined) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = ~value;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `data`, continuing from `value`. */
export const crc32: (data: Uint8Array, value?: number) => number = nativeCrc32 ?? tableCrc32;
/** The table implementation, exported for its test against zlib's. */
export const crc32Table = tableCrc32;
export const crc32IsNative = nativeCrc32 !== undefined;

// ---- header ----

export function encodeHeader(): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT_VERSION, 8);
  header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
  return header;
}

export type HeaderCheck = { ok: true } | { ok: false; reason: string };

export function checkHeader(file: Buffer): HeaderCheck {
  if (file.length < HEADER_SIZE) return { ok: false, reason: `shorter (${file.length} bytes) than the ${HEADER_SIZE}-byte header` };
  if (!file.subarray(0, 8).equals(MAGIC)) return { ok: false, reason: 'not an otel-health store (no OTHSTORE magic)' };
  if (file.readUInt32LE(12) !== crc32(file.subarray(0, 12))) return { ok: false, reason: 'header checksum mismatch' };
  const version = file.readUInt32LE(8);
  if (version !== FORMAT_VERSION) return { ok: false, reason: `format version ${version}, this otel-health reads ${FORMAT_VERSION}` };
  return { ok: true };
}

// ---- records ----

/** Frame a payload (kind byte first) as a record. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_SIZE + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload, crc32(out.subarray(0, 4))), 4);
  out.set(payload, FRAME_SIZE);
  return out;
}

export interface ScanResult {
  /** Payloads of the whole records, in file order (views into the buffer). */
  payloads: Buffer[];
  /** Offset just past the last whole record. */
  end: number;
}

/**
 * Read whole records from `buf` starting at `from`, stopping at the first that is not whole.
 * `verify` false skips the CRCs (for the records inside a block, whose own record's CRC
 * already covered them).
 */
export function scanRecords(buf: Buffer, from: number, verify = true): ScanResult {
  const payloads: Buffer[] = [];
  let at = from;
  while (at + FRAME_SIZE <= buf.length) {
    const length = buf.readUInt32LE(at);
    if (length === 0 || length > MAX_RECORD_SIZE * 64 || at + FRAME_SIZE + length > buf.length) break;
    const payload = buf.subarray(at + FRAME_SIZE, at + FRAME_SIZE + length);
    if (verify && buf.readUInt32LE(at + 4) !== crc32(payload, crc32(buf.subarray(at, at + 4)))) break;
    payloads.push(payload);
    at += FRAME_SIZE + length;
  }
  return { payloads, end: at };
}

/**
 * Whether a whole record starts anywhere after `from` (`from` being where reading stopped).
 * A torn tail has none after it (nothing is appended after a cut-short write); damage in the
 * middle of a file does. Random bytes pass the length and CRC checks with odds of about 2^-32
 * per offset.
 */
export function recordAfter(buf: Buffer, from: number): number | undefined {
  for (let at = from + 1; at + FRAME_SIZE < buf.length; at++) {
    const length = buf.readUInt32LE(at);
    if (length === 0 || at + FRAME_SIZE + length > buf.length) continue;
    const payload = buf.subarray(at + FRAME_SIZE, at + FRAME_SIZE + length);
    if (buf.readUInt32LE(at + 4) === crc32(payload, crc32(buf.subarray(at, at + 4)))) return at;
  }
  return undefined;
}

// ---- a small binary writer / reader ----

export class Writer {
  private buf: Buffer;
  length = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  /** Unsigned varint (LEB128) of a non-negative integer < 2^53. */
  uvar(v: number): void {
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
      if (this.length + 1 > this.buf.length) this.room(8);
    }
    this.buf[this.length++] = v;
  }

  /** Signed varint (zigzag) of a safe integer. */
  svar(v: number): void {
    this.uvar(v < 0 ? -2 * v - 1 : 2 * v);
  }

  f32(v: number): void {
    this.room(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  str(s: string): void {
    const bytes = Buffer.byteLength(s);
    this.uvar(bytes);
    this.room(bytes);
    this.buf.write(s, this.length, 'utf8');
    this.length += bytes;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A copy of what was written. */
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

export class Reader {
  at: number;

  constructor(
    private readonly buf: Buffer,
    at = 0,
  ) {
    this.at = at;
  }

  get remaining(): number {
    return this.buf.length - this.at;
  }

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new RangeError('record ends early');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.at++]!;
  }

  uvar(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new RangeError('varint too long');
    }
  }

  svar(): number {
    const z = this.uvar();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }

  f32(): number {
    this.need(4);
    const v = this.buf.readFloatLE(this.at);
    this.at += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }

  str(): string {
    const n = this.uvar();
    this.need(n);
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.at);
    this.at = this.buf.length;
    return b;
  }
}
