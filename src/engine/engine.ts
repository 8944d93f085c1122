// The engine: all databases and the one place where the dataset changes. `apply` takes a log entry
// (the effects of one command or transaction) and applies it; it never reads a clock or a random
// source, so the same entries give the same dataset on replay, on a follower and in a simulator.

import { assert } from './assert.js';
import { Database } from './database.js';
import { defaultEncodingLimits, type EncodingLimits } from './encoding-limits.js';
import { ScanCursors } from './scan.js';
import {
  type CollectionEffect,
  type CoreEffect,
  type Effect,
  FIRST_COLLECTION_OP,
  ExpireKeep,
  ExpireNone,
  type LogEntry,
  Op,
  type SettingEffect,
} from './effects.js';
import { collectionAppliers, collectionDumpers } from './types/registry.js';
import './types/index.js';
import { cloneValue, isStringValue, stringText, type Value } from './values.js';
import { keyCharge, recharge, stringBytes, valueCharge } from './memory.js';
import { canonicalSafeInteger } from '../util/numbers.js';

/** Told about every key about to change, so WATCH and copy-on-write snapshots can react. */
export interface KeyspaceObserver {
  /** `key` in database `db` is about to be changed or deleted. */
  keyWillChange(db: number, key: string): void;
  /** Every key of database `db` is about to be deleted, or the database swapped. */
  databaseWillChange(db: number): void;
  /** A FLUSHDB or FLUSHALL effect is about to apply (once per effect; CLIENT TRACKING). */
  databasesWillFlush?(): void;
}

/**
 * Told about a replica group's settings as they apply (the command layer owns the configuration
 * and the users they change).
 */
export interface SettingsObserver {
  settingApplied(effect: SettingEffect): void;
  /** The engine is about to be reloaded from scratch: settings go back to the node's own. */
  settingsReset(): void;
}

export class Engine {
  readonly databases: Database[];
  /** Count of key changes since start (Redis's `dirty`), for save rules and INFO. */
  changes = 0;
  /** Everyone told before a key or database changes (copy-on-write snapshots, WATCH). */
  readonly observers: KeyspaceObserver[] = [];
  /** Live SCAN cursors over this engine's keyspaces (read-side state, never logged). */
  readonly scanCursors = new ScanCursors();
  /**
   * Thresholds of the compact encodings, given to collection appliers. Data, not a clock: the
   * Executor copies them from the configuration; a replaying engine must be given the same.
   */
  readonly encodingLimits: EncodingLimits;
  /**
   * A replica group's settings: the latest effect per setting (`c` + name) and per user (`u` +
   * name), written first in every snapshot. Empty standalone (nothing logs settings there).
   */
  private readonly settings = new Map<string, SettingEffect>();
  private settingsObserver: SettingsObserver | undefined;

  constructor(databaseCount = 16, encodingLimits: EncodingLimits = defaultEncodingLimits()) {
    assert(databaseCount >= 1, 'at least one database');
    this.encodingLimits = encodingLimits;
    this.databases = Array.from({ length: databaseCount }, (_, index) => new Database(index));
  }

  addObserver(observer: KeyspaceObserver): void {
    assert(!this.observers.includes(observer), 'an observer is added once');
    this.observers.push(observer);
  }

  removeObserver(observer: KeyspaceObserver): void {
    const at = this.observers.indexOf(observer);
    if (at >= 0) this.observers.splice(at, 1);
  }

  /** The one observer of settings effects (the Executor owning this engine). */
  observeSettings(observer: SettingsObserver): void {
    assert(this.settingsObserver === undefined, 'one settings observer per engine');
    this.settingsObserver = observer;
  }

  /**
   * The group's settings in the order of their last change, for a snapshot: replaying only the
   * last effect per setting in that order gives the same state where effects overlap (CONFIG SET
   * requirepass changes the default user's passwords; ACL SETUSER default replaces them).
   */
  settingEffects(): IterableIterator<SettingEffect> {
    return this.settings.values();
  }

  /** Before a reload from a snapshot or the log's start: forget the group's settings. */
  resetSettings(): void {
    this.settings.clear();
    this.settingsObserver?.settingsReset();
  }

  private applySetting(effect: SettingEffect): void {
    const id = (effect[0] === Op.ConfigSet ? 'c' : 'u') + effect[1];
    this.settings.delete(id);
    this.settings.set(id, effect);
    this.settingsObserver?.settingApplied(effect);
  }

  private flushWillHappen(): void {
    for (const observer of this.observers) observer.databasesWillFlush?.();
  }

  private databaseWillChange(db: number): void {
    for (const observer of this.observers) observer.databaseWillChange(db);
  }

  database(index: number): Database {
    const db = this.databases[index];
    assert(db !== undefined, `database ${index} exists`);
    return db;
  }

  apply(entry: LogEntry): void {
    for (const effect of entry.effects) this.applyEffect(effect);
  }

  applyEffect(effect: Effect): void {
    if (effect[0] >= FIRST_COLLECTION_OP)
      return this.applyCollectionEffect(effect as CollectionEffect);
    const core = effect as CoreEffect;
    switch (core[0]) {
      case Op.Set:
        return this.set(core[1], core[2], core[3], core[4]);
      case Op.Delete:
        this.delete(core[1], core[2]);
        return;
      case Op.ExpireAt:
        return this.expireAt(core[1], core[2], core[3]);
      case Op.Persist:
        return this.persist(core[1], core[2]);
      case Op.Rename:
        return this.rename(core[1], core[2], core[3]);
      case Op.Copy:
        return this.copy(core[1], core[2], core[3], core[4]);
      case Op.Move:
        return this.move(core[1], core[2], core[3]);
      case Op.SwapDb:
        return this.swapDatabases(core[1], core[2]);
      case Op.FlushDb:
        this.flushWillHappen();
        return this.flush(core[1]);
      case Op.FlushAll:
        this.flushWillHappen();
        for (const db of this.databases) this.flush(db.index);
        return;
      case Op.Append:
        return this.append(core[1], core[2], core[3]);
      case Op.SetRange:
        return this.setRange(core[1], core[2], core[3], core[4]);
      case Op.Publish:
        // Replicated pub/sub: the host delivers the message when the entry commits.
        return;
      case Op.ConfigSet:
      case Op.AclSetUser:
      case Op.AclDelUser:
        return this.applySetting(core);
      default:
        assert(false, `known effect op ${String((core as unknown[])[0])}`);
    }
  }

  private applyCollectionEffect(effect: CollectionEffect): void {
    const applier = collectionAppliers.get(effect[0]);
    assert(applier !== undefined, `known effect op ${effect[0]}`);
    const db = this.database(effect[1]);
    const key = effect[2];
    this.willChange(effect[1], key);
    const before = db.get(key);
    if (before !== undefined) db.datasetBytes -= keyCharge(key, before);
    applier(db, effect, this.encodingLimits);
    // Redis deletes a collection as soon as it is empty (a stream excepted); so does this.
    const value = db.get(key);
    if (
      value !== undefined &&
      typeof value === 'object' &&
      value.size === 0 &&
      value.keepsWhenEmpty !== true
    ) {
      db.delete(key);
    } else if (value !== undefined) {
      if (typeof value === 'object') recharge(value);
      db.datasetBytes += keyCharge(key, value);
    }
  }

  /**
   * The effects that recreate one key exactly (value and expiry), for snapshots: a snapshot is
   * the stream of these, so loading it is applying effects, with the same code as the log.
   */
  dumpKey(dbIndex: number, key: string): Effect[] {
    const db = this.database(dbIndex);
    const value = db.get(key);
    if (value === undefined) return [];
    return dumpValue(dbIndex, key, value, db.expires.get(key));
  }

  private willChange(db: number, key: string): void {
    this.changes++;
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++)
      (observers[i] as KeyspaceObserver).keyWillChange(db, key);
  }

  private set(dbIndex: number, key: string, value: string | number, expireAtMs: number): void {
    const db = this.database(dbIndex);
    this.willChange(dbIndex, key);
    const stored = typeof value === 'string' ? (canonicalSafeInteger(value) ?? value) : value;
    this.replace(db, key, stored);
    if (expireAtMs === ExpireNone) {
      if (db.expires.size > 0) db.expires.delete(key);
    } else if (expireAtMs !== ExpireKeep) {
      db.expires.set(key, expireAtMs);
    }
  }

  /** Writes a value produced by the engine itself (collections), keeping any expiry. */
  putValue(dbIndex: number, key: string, value: Value): void {
    const db = this.database(dbIndex);
    this.willChange(dbIndex, key);
    if (typeof value === 'object') recharge(value);
    this.replace(db, key, value);
  }

  delete(dbIndex: number, key: string): boolean {
    const db = this.database(dbIndex);
    const entry = db.entries.get(key);
    if (entry === undefined) return false;
    this.willChange(dbIndex, key);
    // Priced from the entry: reading a short string's value would make a string to discard.
    db.datasetBytes -= stringBytes(key) + db.chargeOf(entry);
    db.delete(key);
    return true;
  }

  private expireAt(dbIndex: number, key: string, expireAtMs: number): void {
    const db = this.database(dbIndex);
    assert(db.has(key), 'EXPIREAT effect on an existing key');
    this.willChange(dbIndex, key);
    db.expires.set(key, expireAtMs);
  }

  private persist(dbIndex: number, key: string): void {
    const db = this.database(dbIndex);
    this.willChange(dbIndex, key);
    db.expires.delete(key);
  }

  private rename(dbIndex: number, source: string, destination: string): void {
    const db = this.database(dbIndex);
    const entry = db.entries.get(source);
    assert(entry !== undefined, 'RENAME effect on an existing key');
    const value = db.valueOf(entry);
    const expireAtMs = db.expires.get(source);
    this.delete(dbIndex, source);
    this.delete(dbIndex, destination);
    this.willChange(dbIndex, destination);
    // The entry moves, so the value keeps its access clock, as Redis's object keeps its lru.
    db.adopt(destination, entry, value);
    db.datasetBytes += keyCharge(destination, value);
    if (expireAtMs !== undefined) db.expires.set(destination, expireAtMs);
  }

  private copy(sourceDb: number, source: string, destinationDb: number, destination: string): void {
    const from = this.database(sourceDb);
    const value = from.get(source);
    assert(value !== undefined, 'COPY effect on an existing key');
    const expireAtMs = from.expires.get(source);
    this.delete(destinationDb, destination);
    const to = this.database(destinationDb);
    this.willChange(destinationDb, destination);
    const copied = cloneValue(value);
    to.set(destination, copied);
    to.datasetBytes += keyCharge(destination, copied);
    if (expireAtMs !== undefined) to.expires.set(destination, expireAtMs);
  }

  private move(dbIndex: number, key: string, destinationDb: number): void {
    const from = this.database(dbIndex);
    const entry = from.entries.get(key);
    assert(entry !== undefined, 'MOVE effect on an existing key');
    const to = this.database(destinationDb);
    assert(!to.has(key), 'MOVE effect to a free key');
    const value = from.valueOf(entry);
    const expireAtMs = from.expires.get(key);
    this.delete(dbIndex, key);
    this.willChange(destinationDb, key);
    to.adopt(key, entry, value);
    to.datasetBytes += keyCharge(key, value);
    if (expireAtMs !== undefined) to.expires.set(key, expireAtMs);
  }

  private swapDatabases(a: number, b: number): void {
    const first = this.database(a);
    const second = this.database(b);
    this.databaseWillChange(a);
    this.databaseWillChange(b);
    this.changes++;
    this.databases[a] = second;
    this.databases[b] = first;
    second.index = a;
    first.index = b;
  }

  private flush(dbIndex: number): void {
    const db = this.database(dbIndex);
    this.databaseWillChange(dbIndex);
    this.changes += db.size;
    // New Maps rather than clear(): a snapshot in progress keeps walking the old contents.
    db.replaceContents();
  }

  private append(dbIndex: number, key: string, suffix: string): void {
    const db = this.database(dbIndex);
    const current = db.get(key);
    assert(current === undefined || isStringValue(current), 'APPEND effect on a string');
    this.willChange(dbIndex, key);
    const text = current === undefined ? suffix : stringText(current) + suffix;
    this.replace(db, key, canonicalSafeInteger(text) ?? text);
  }

  private setRange(dbIndex: number, key: string, offset: number, value: string): void {
    const db = this.database(dbIndex);
    const current = db.get(key);
    assert(current === undefined || isStringValue(current), 'SETRANGE effect on a string');
    this.willChange(dbIndex, key);
    let text = current === undefined ? '' : stringText(current);
    if (text.length < offset) text += '\0'.repeat(offset - text.length);
    text = text.slice(0, offset) + value + text.slice(offset + value.length);
    this.replace(db, key, canonicalSafeInteger(text) ?? text);
  }

  /** Stores `value` at `key` (Database.set: one lookup), keeping the dataset's byte count. */
  private replace(db: Database, key: string, value: Value): void {
    const before = db.set(key, value);
    db.datasetBytes += before === -1 ? keyCharge(key, value) : valueCharge(value) - before;
  }
}

/**
 * The effects that recreate one value at `key` (with its expiry) from nothing. Snapshots call it
 * with values they captured, which may no longer be at that key.
 */
export function dumpValue(
  dbIndex: number,
  key: string,
  value: Value,
  expireAtMs: number | undefined,
): Effect[] {
  if (typeof value !== 'object') return [[Op.Set, dbIndex, key, value, expireAtMs ?? ExpireNone]];
  const dumper = collectionDumpers.get(value.type);
  assert(dumper !== undefined, `a dumper for ${value.type}`);
  const effects = dumper(dbIndex, key, value);
  if (expireAtMs !== undefined) effects.push([Op.ExpireAt, dbIndex, key, expireAtMs]);
  return effects;
}
