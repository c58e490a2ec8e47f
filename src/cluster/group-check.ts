import { AssignerProtocol, type Admin } from 'kafkajs';
import { withKafkaRetry } from '../log/kafka/kafka-retry.js';

/** What the group coordinator says about one partition and one member. */
export type Verdict = 'ours' | 'not-ours' | 'unsettled';

/**
 * Asks the group coordinator whether `memberId` holds `topic`/`p` in the group's current, stable
 * generation. 'unsettled' while a rebalance runs (its GROUP_JOIN will decide) or when the
 * coordinator cannot be asked (after a few tries on retriable answers, e.g. while it loads the
 * group). A zombie (a member the group evicted) gets 'not-ours'.
 */
export async function partitionHeldBy(admin: Admin, groupId: string, memberId: string, topic: string, p: number): Promise<Verdict> {
  try {
    const { groups } = await withKafkaRetry('describeGroups', () => admin.describeGroups([groupId]), { attempts: 4 });
    const group = groups[0];
    if (group === undefined || group.state !== 'Stable') return 'unsettled';
    const me = group.members.find((m) => m.memberId === memberId);
    if (me === undefined) return 'not-ours';
    const assignment = AssignerProtocol.MemberAssignment.decode(me.memberAssignment)?.assignment ?? {};
    return (assignment[topic] ?? []).includes(p) ? 'ours' : 'not-ours';
  } catch {
    return 'unsettled';
  }
}
