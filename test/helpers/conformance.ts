// Comparing replies from Shoal and redis-server: replies as plain data, errors by message.

import { type Reply, ReplyError } from '../../src/resp/reply-reader.js';

/** Replies as comparable plain data (errors by message). */
export function plain(reply: Reply): unknown {
  if (reply instanceof ReplyError) return { error: reply.message };
  if (Array.isArray(reply)) return reply.map(plain);
  if (reply instanceof Map) return [...reply].map(([k, v]) => [plain(k), plain(v)]);
  if (reply instanceof Set) return [...reply].map(plain);
  if (typeof reply === 'bigint') return `${reply}n`;
  if (reply !== null && typeof reply === 'object') return String(reply);
  return reply;
}
