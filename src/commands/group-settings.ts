// A replica group's shared settings on one node: the CONFIG SET values (of group settings, see
// config.ts) and the ACL users that came through the group's log, applied to this node's Config
// and AccessControl as the engine applies their effects (Op.ConfigSet, Op.AclSetUser,
// Op.AclDelUser). The node's own configuration (its file and flags) is the base: the first time
// the group changes a setting or a user, the value it had is kept, and a reload of the engine
// (a received snapshot, a deposed leader's rebuild) puts those back before the group's settings
// are applied again. Standalone, nothing logs settings and this never acts.

import type { SettingsObserver } from '../engine/engine.js';
import { Op, type SettingEffect } from '../engine/effects.js';
import type { AccessControl } from './acl/access-control.js';
import type { Config } from './config.js';

export class GroupSettings implements SettingsObserver {
  /** Each setting the group changed, with this node's own value from before. */
  private readonly ownSettings = new Map<string, string>();
  /** Each user the group changed, with this node's own description (undefined: none). */
  private readonly ownUsers = new Map<string, string | undefined>();

  constructor(
    private readonly config: Config,
    private readonly acl: AccessControl,
  ) {}

  /** Before this node changes a group setting itself (the leader running CONFIG SET). */
  keepOwnSetting(name: string): void {
    if (!this.ownSettings.has(name)) this.ownSettings.set(name, this.config.get(name));
  }

  /**
   * Before this node changes a user itself (the leader running ACL SETUSER, DELUSER, LOAD):
   * `own` is the user as it is (described), undefined if there is none.
   */
  keepOwnUser(name: string, own: string | undefined): void {
    if (!this.ownUsers.has(name)) this.ownUsers.set(name, own);
  }

  settingApplied(effect: SettingEffect): void {
    const name = effect[1];
    if (effect[0] === Op.ConfigSet) {
      this.keepOwnSetting(name);
      if (this.config.get(name) !== effect[2]) this.config.set(name, effect[2]);
      return;
    }
    this.keepOwnUser(name, this.acl.users.get(name)?.describe());
    if (effect[0] === Op.AclSetUser) this.acl.defineUser(name, effect[2]);
    else this.acl.deleteUsers([name], undefined);
  }

  settingsReset(): void {
    for (const [name, value] of this.ownSettings) {
      if (this.config.get(name) !== value) this.config.set(name, value);
    }
    for (const [name, description] of this.ownUsers) {
      if (description === undefined) this.acl.deleteUsers([name], undefined);
      else this.acl.defineUser(name, description);
    }
    this.ownSettings.clear();
    this.ownUsers.clear();
  }
}
