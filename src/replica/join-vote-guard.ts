// Elections for a node that joined with an empty disk (`--join`). A member whose disk was lost
// can come back under its old id: it is still in the configuration, so the others ask for its
// vote. But it has forgotten every entry it acknowledged and the votes it cast. If it voted, a
// candidate that lacks an entry committed with its help could win (a committed write lost), or
// two candidates could win one term. So until it has caught up with a leader it neither votes
// nor campaigns (the driver stops ticking the core's election timer), and it never votes in a
// term up to the one in which it first heard from a leader (it may have voted there before).
//
// Caught up: it heard an append from a leader (term T, commit C), its own commit index has
// reached C, and that entry belongs to its current term. The second half covers a new leader
// whose commit index still lags: an entry of its own term committed settles every entry before
// it (Raft §5.4.2), and every entry committed before the disk was lost is among those.
// Dropping a vote request is always safe (the network may lose any message).

import { MessageType, type Message } from '../raft/messages.js';

export class JoinVoteGuard {
  /** Term and commit index of the first append from a leader (commit -1: none yet). */
  private contactTerm = 0;
  private contactCommit = -1;
  private caughtUp = false;

  /** Until caught up, the election timer must not run (no campaign). */
  get holding(): boolean {
    return !this.caughtUp;
  }

  /** False for a message the node must drop rather than step. */
  admits(message: Message): boolean {
    switch (message.type) {
      case MessageType.App:
        if (this.contactCommit < 0) {
          this.contactCommit = message.commit;
          this.contactTerm = message.term;
        }
        return true;
      case MessageType.Vote:
        return this.caughtUp && message.term > this.contactTerm;
      case MessageType.PreVote:
      case MessageType.TimeoutNow:
        return this.caughtUp;
      default:
        return true;
    }
  }

  /** After each Ready: the node's commit index, the term of that entry, and its current term. */
  update(committed: number, committedTerm: number | undefined, term: number): void {
    if (this.caughtUp || this.contactCommit < 0) return;
    if (committed >= this.contactCommit && committedTerm === term) this.caughtUp = true;
  }
}
