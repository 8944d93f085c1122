// CRC32C test vectors, the codec round trip over random effects, and framing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Effect, ExpireNone, Op } from '../../src/engine/effects.js';
import { ARENA_MAX_LENGTH, StringArena } from '../../src/engine/string-arena.js';
import {
  ByteWriter,
  DecodeError,
  decodeRecord,
  RecordKind,
  writeEffects,
  writeArenaStringKeyEffects,
  writeEntryPayload,
  writeStringKeyEffects,
} from '../../src/persist/codec.js';
import { crc32c } from '../../src/persist/crc32c.js';

describe('crc32c', () => {
  it('matches the published test vectors (RFC 3720 B.4, iSCSI)', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  it('continues over pieces, and the sliced loop agrees with the bytewise one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const data = Buffer.from(bytes);
        const at = Math.min(cut, data.length);
        const whole = crc32c(data);
        assert.equal(crc32c(data, at, data.length, crc32c(data, 0, at)), whole);
        let bytewise = 0;
        for (let i = 0; i < data.length; i++) bytewise = crc32c(data, i, i + 1, bytewise);
        assert.equal(bytewise, whole);
      }),
    );
  });
});

const latin1 = fc
  .array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 })
  .map((codes) => String.fromCharCode(...codes));
const argument = fc.oneof(
  latin1,
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true }),
  fc.constantFrom(Infinity, -Infinity, -0, 0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
);
const effect = fc
  .tuple(fc.integer({ min: 1, max: 119 }), fc.array(argument, { maxLength: 6 }))
  .map(([op, args]) => [op, ...args] as unknown as Effect);

describe('codec', () => {
  it('round-trips any entry of any effects (strings binary-safe, numbers exactly)', () => {
    fc.assert(
      fc.property(
        fc.maxSafeNat(),
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.array(effect, { maxLength: 8 }),
        (sequence, timeMs, effects) => {
          const out = new ByteWriter(16);
          writeEntryPayload(out, sequence, { timeMs, effects });
          const record = decodeRecord(out.take());
          assert.equal(record.kind, RecordKind.Entry);
          if (record.kind !== RecordKind.Entry) return;
          assert.equal(record.value.sequence, sequence);
          assert.equal(record.value.entry.timeMs, timeMs);
          assert.equal(record.value.entry.effects.length, effects.length);
          record.value.entry.effects.forEach((decoded, i) => {
            const original = effects[i] as Effect;
            assert.equal(decoded.length, original.length);
            original.forEach((value, j) => assert.ok(Object.is(decoded[j], value), `${value}`));
          });
        },
      ),
    );
  });

  it('writes a string key as the same bytes as its Set effect would', () => {
    fc.assert(
      fc.property(
        fc.nat(15),
        latin1,
        fc.oneof(latin1, fc.integer(), fc.double({ noNaN: true })),
        fc.oneof(fc.constant(ExpireNone), fc.maxSafeNat()),
        (db, key, value, expireAtMs) => {
          const viaArrays = new ByteWriter(16);
          writeEffects(viaArrays, [[Op.Set, db, key, value, expireAtMs]]);
          const direct = new ByteWriter(16);
          writeStringKeyEffects(direct, db, key, value, expireAtMs);
          assert.deepEqual(direct.take(), viaArrays.take());
        },
      ),
    );
  });

  it('writes a string key held in an arena as the same bytes as its Set effect would', () => {
    const arena = new StringArena();
    fc.assert(
      fc.property(
        fc.nat(15),
        latin1,
        fc
          .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: ARENA_MAX_LENGTH })
          .map((codes) => String.fromCharCode(...codes)),
        fc.oneof(fc.constant(ExpireNone), fc.maxSafeNat()),
        (db, key, value, expireAtMs) => {
          const handle = arena.store(value);
          const viaArrays = new ByteWriter(16);
          writeEffects(viaArrays, [[Op.Set, db, key, value, expireAtMs]]);
          const fromArena = new ByteWriter(16);
          writeArenaStringKeyEffects(fromArena, db, key, arena, handle, expireAtMs);
          assert.deepEqual(fromArena.take(), viaArrays.take());
          arena.free(handle);
        },
      ),
    );
  });

  it('refuses NaN (never a valid effect argument)', () => {
    assert.throws(() =>
      writeEntryPayload(new ByteWriter(), 1, { timeMs: 0, effects: [[80, 0, 'z', NaN]] }),
    );
  });

  it('rejects truncated and padded payloads', () => {
    const out = new ByteWriter();
    writeEntryPayload(out, 7, { timeMs: 1, effects: [[1, 0, 'k', 'v', -1]] });
    const payload = out.take();
    for (let end = 0; end < payload.length; end++) {
      assert.throws(() => decodeRecord(payload, 0, end), /./);
    }
    assert.throws(() => decodeRecord(Buffer.concat([payload, Buffer.from([0])])), /left over/);
  });

  it('fails on an effect or argument count that lies, without making room for it first', () => {
    const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f]; // varint 2^48 - 1
    const entry = (counts: number[]) => {
      const out = new ByteWriter();
      out.u8(RecordKind.Entry);
      out.varint(9);
      out.f64(0);
      out.bytes(Buffer.from(counts));
      return out.take();
    };
    // Effect count, then an effect's argument count (op 1): each claims 2^48 - 1 elements.
    for (const payload of [entry(huge), entry([1, 1, ...huge])]) {
      assert.throws(() => decodeRecord(payload), DecodeError);
    }
  });
});
