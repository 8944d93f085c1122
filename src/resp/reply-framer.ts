// Finds where each complete RESP2/RESP3 reply ends in a byte stream, without decoding it, so a
// relay can pass replies through byte for byte (and know which request each one answers).

const CRLF = 0x0d;

/**
 * The offset just past the complete reply starting at `start`, or -1 when more bytes are needed.
 * Throws on a type byte that is not RESP.
 */
export function replyEnd(buffer: Buffer, start: number): number {
  let position = start;
  let pending = 1; // values still to read at this level and above, flattened
  while (pending > 0) {
    if (position >= buffer.length) return -1;
    const type = buffer[position] as number;
    const lineEnd = buffer.indexOf(CRLF, position + 1);
    if (lineEnd < 0 || lineEnd + 1 >= buffer.length) return -1;
    const header = buffer.latin1Slice(position + 1, lineEnd);
    position = lineEnd + 2;
    pending--;
    switch (type) {
      case 0x2b: // + simple
      case 0x2d: // - error
      case 0x3a: // : integer
      case 0x2c: // , double
      case 0x23: // # boolean
      case 0x5f: // _ null
      case 0x28: // ( big number
        break;
      case 0x24: // $ bulk
      case 0x21: // ! bulk error
      case 0x3d: {
        // = verbatim
        const length = Number(header);
        if (length < 0) break;
        if (position + length + 2 > buffer.length) return -1;
        position += length + 2;
        break;
      }
      case 0x2a: // * array
      case 0x7e: // ~ set
      case 0x3e: {
        // > push
        const count = Number(header);
        if (count > 0) pending += count;
        break;
      }
      case 0x25: // % map
        pending += 2 * Math.max(0, Number(header));
        break;
      case 0x7c: // | attribute: its pairs, then the value it annotates
        pending += 2 * Math.max(0, Number(header)) + 1;
        break;
      default:
        throw new Error(`not a RESP reply (type byte ${type})`);
    }
  }
  return position;
}
