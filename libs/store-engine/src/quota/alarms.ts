/*
 * Cluster alarms (etcd's alarm store), raised and cleared through Raft and kept in the `alarm`
 * bucket so they survive restarts. While NOSPACE is raised the applier refuses writes that
 * would grow the backend.
 */
import type { Backend } from '../backend/backend';

export enum AlarmType {
  NONE = 0,
  NOSPACE = 1,
  CORRUPT = 2,
}

export enum AlarmAction {
  GET = 0,
  ACTIVATE = 1,
  DEACTIVATE = 2,
}

export interface AlarmMember {
  memberId: bigint;
  alarm: AlarmType;
}

export interface AlarmRequest {
  action: AlarmAction;
  memberId: bigint;
  alarm: AlarmType;
}

export interface AlarmResponse {
  alarms: AlarmMember[];
}

const ALARM_KEY_BYTES = 9;

export class AlarmStore {
  private readonly active = new Map<string, AlarmMember>();

  constructor(private readonly backend: Backend) {
    for (const { key } of backend.bucket('alarm').range()) {
      const member = { memberId: key.readBigUInt64BE(0), alarm: key.readUInt8(8) as AlarmType };
      this.active.set(alarmKey(member).toString('hex'), member);
    }
  }

  /** Applies an alarm request (inside the applier's backend transaction). */
  apply(req: AlarmRequest): AlarmResponse {
    const member = { memberId: req.memberId, alarm: req.alarm };
    switch (req.action) {
      case AlarmAction.ACTIVATE:
        if (req.alarm === AlarmType.NONE) break;
        this.active.set(alarmKey(member).toString('hex'), member);
        this.backend.bucket('alarm').put(alarmKey(member), Buffer.alloc(0));
        return { alarms: [member] };
      case AlarmAction.DEACTIVATE: {
        const id = alarmKey(member).toString('hex');
        if (!this.active.has(id)) return { alarms: [] };
        this.active.delete(id);
        this.backend.bucket('alarm').delete(alarmKey(member));
        return { alarms: [member] };
      }
      case AlarmAction.GET:
        break;
    }
    return { alarms: this.list(req.alarm) };
  }

  /** Active alarms, all or of one type (NONE: all). */
  list(type: AlarmType = AlarmType.NONE): AlarmMember[] {
    return [...this.active.values()].filter((a) => type === AlarmType.NONE || a.alarm === type);
  }

  has(type: AlarmType): boolean {
    return this.list(type).length > 0;
  }
}

function alarmKey(member: AlarmMember): Buffer {
  const key = Buffer.alloc(ALARM_KEY_BYTES);
  key.writeBigUInt64BE(member.memberId, 0);
  key.writeUInt8(member.alarm, 8);
  return key;
}
