// Micro benchmark: parse speed of a pipeline of 16 SETs, fed as one chunk and as 64 KiB chunks,
// and encode speed of the replies to such a pipeline.
// Run: npx tsc -p . && node dist/bench/resp-parse.js
import { ReplyEncoder } from '../src/resp/encoder.js';
import { RequestParser } from '../src/resp/parser.js';

function encodeCommand(argv: string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const argument of argv) out += `$${argument.length}\r\n${argument}\r\n`;
  return out;
}

function pipeline(commands: number, valueBytes: number): Buffer {
  let text = '';
  for (let index = 0; index < commands; index++) {
    const key = `key:${String(index).padStart(12, '0')}`;
    text += encodeCommand(['SET', key, 'x'.repeat(valueBytes)]);
  }
  return Buffer.from(text, 'latin1');
}

function measure(label: string, chunks: Buffer[], commandsPerRound: number): void {
  const parser = new RequestParser();
  let commands = 0;
  const durationMs = 1500;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < durationMs) {
    for (let round = 0; round < 1000; round++) {
      for (const chunk of chunks) {
        parser.feed(chunk);
        while (parser.next() !== null) commands++;
      }
    }
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  if (commands % commandsPerRound !== 0) throw new Error('lost commands');
  const rate = (commands / elapsedMs) * 1000;
  console.log(`${label}: ${(rate / 1e6).toFixed(2)} M commands/s`);
}

function split(buffer: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < buffer.length; offset += size) {
    chunks.push(buffer.subarray(offset, Math.min(buffer.length, offset + size)));
  }
  return chunks;
}

const sixteen = pipeline(16, 3);
measure('pipeline of 16 SETs (3-byte values), one chunk', [sixteen], 16);
const many = pipeline(4096, 3);
measure('4096 SETs (3-byte values) in 64 KiB chunks', split(many, 64 * 1024), 4096);
const big = pipeline(256, 1000);
measure('256 SETs (1000-byte values) in 16 KiB chunks', split(big, 16 * 1024), 256);
measure('16 SETs split every 7 bytes', split(sixteen, 7), 16);

function measureEncode(label: string, write: (encoder: ReplyEncoder) => void): void {
  const encoder = new ReplyEncoder();
  let replies = 0;
  let bytes = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < 1000) {
    for (let round = 0; round < 10_000; round++) {
      for (let index = 0; index < 16; index++) write(encoder);
      bytes += encoder.take().length;
      replies += 16;
    }
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  if (bytes === 0) throw new Error('nothing encoded');
  console.log(
    `${label}: ${((replies / elapsedMs) * 1000) / 1e6} M replies/s`.replace(/(\.\d\d)\d+/, '$1'),
  );
}

measureEncode('encode 16 x +OK then take()', (encoder) => encoder.ok());
measureEncode('encode 16 x 10-byte bulk then take()', (encoder) => encoder.bulk('abcdefghij'));
