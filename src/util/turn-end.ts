// Work deferred to the end of this turn of the event loop, after every socket read of the turn
// has been handled: the server's reply writes (server/session.ts), so that they go out together,
// as Redis writes replies in beforeSleep. Long synchronous work that runs inside a turn (a
// snapshot's slice, a slice of loading a dataset) runs what is due first, so that it does not
// hold back replies that are ready.

const due: (() => void)[] = [];

/** Runs `task` at the end of this turn (or sooner, when runTurnEnd is called first). */
export function atTurnEnd(task: () => void): void {
  if (due.push(task) === 1) setImmediate(runTurnEnd);
}

/** Runs every task due now; those it queues wait for the end of the turn. */
export function runTurnEnd(): void {
  if (due.length === 0) return;
  const tasks = due.splice(0, due.length);
  for (const task of tasks) task();
}
