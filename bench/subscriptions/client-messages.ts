/** What the bench and its client processes (client-process.ts) say to each other over IPC. */

/** order: orderStatusChanged on the learner's order; owner: myOrderStatusChanged. */
export type Kind = 'order' | 'owner';

export interface ClientSpec {
  kind: Kind;
  orderId: string;
  token: string;
}

export type FromParent =
  | { type: 'connect'; clients: ClientSpec[]; wsUrl: string; rampRate: number; maxInFlight: number }
  /** A new round: deliveries carrying this status are its; receive times start again at 0. */
  | { type: 'round'; round: number; status: string }
  | { type: 'collect' }
  | { type: 'dispose' };

export type ToParent =
  | { type: 'started' }
  | { type: 'connected'; ready: number; errors: string[] }
  | { type: 'round-ready'; round: number }
  /** Every client of the process has received the round's change. */
  | { type: 'all-received'; round: number }
  /** Per client of the process, in the order given: monotonic receive time, 0 if none yet. */
  | {
      type: 'collected';
      receivedAt: number[];
      unexpected: number;
      closedEarly: number;
      /** The process's event-loop delay during the round (its receive times are that late). */
      loopDelayP99Ms: number;
      loopDelayMaxMs: number;
    };
