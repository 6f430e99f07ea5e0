/**
 * The Worker's own CPU time, per run, from V8's sampling profiler over the DevTools protocol that
 * `wrangler dev --inspector-port` exposes for the Worker's isolate. A profile's samples tell where the
 * isolate's thread was: in JavaScript, in the garbage collector, in V8 itself ("(program)"), or
 * waiting ("(idle)": fetches and D1 calls in flight). CPU = every sample that is not idle. This is the
 * time Cloudflare bills against an invocation's 10 ms, without what the local process also does for
 * the dev server (the local D1's SQLite, the proxy) -- which /proc counts, so both are printed.
 *
 * Needs Node's WebSocket (`node --experimental-websocket` on Node 20; npm run bench:timeline passes
 * it). The inspector proxy accepts local origins only, so the Origin header is set.
 */

export interface ProfileNode {
  id: number;
  /** lineNumber and columnNumber are 0-based positions in the script (the bundle wrangler serves). */
  callFrame: { functionName: string; url: string; lineNumber?: number; columnNumber?: number; scriptId?: string };
  children?: number[];
  /** Samples per source line of this node (1-based lines of the script). */
  positionTicks?: { line: number; ticks: number }[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuSample {
  /** JavaScript, GC and V8 internals: everything but idle, ms. */
  cpuMs: number;
  /**
   * The same without the samples under the D1 binding (cloudflare-internal:d1-api): locally the D1
   * database runs in the same process and its SQLite work lands there; deployed, D1 runs elsewhere
   * and the binding only serializes (so this slightly underestimates).
   */
  cpuOutsideD1Ms: number;
  /**
   * cpuOutsideD1Ms without the waits: V8 samples the isolate only while workerd holds its lock, so the
   * first sample after a wait (a fetch, a D1 call, the event's dispatch) carries the whole wait in its
   * time delta, and counted whole the wait shows up as CPU of whatever function ran first after it
   * (a feed server 30 ms late adds about 30 ms "CPU" per poll that way). Here a sample whose delta is
   * longer than sampleCapMicros() counts as one sampling interval (sampleDelta()).
   */
  cpuOutsideD1GapsCutMs: number;
  /**
   * Every non-idle sample, the D1 binding's included, waits cut. Only the binding's own JavaScript
   * runs in this isolate (serializing a query, parsing its answer into rows: the D1 database itself is
   * another isolate locally, another machine deployed), and deployed it runs there too, on the bill.
   */
  cpuGapsCutMs: number;
  gcMs: number;
}

export class IsolateProfiler {
  private next = 0;
  private readonly pending = new Map<number, (message: { result?: { profile?: Profile }; error?: { message: string } }) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: { profile?: Profile }; error?: { message: string } };
      // wrangler's inspector proxy echoes some requests back (same id, with "method") and answers others
      // itself: a request that needs its result waits for a message carrying one.
      if (message.id !== undefined) this.pending.get(message.id)?.(message);
    };
  }

  static async connect(inspectorPort: number, samplingMicros = 100): Promise<IsolateProfiler> {
    if (typeof WebSocket === "undefined") throw new Error("no WebSocket in this Node: run with node --experimental-websocket (npm run bench:timeline does)");
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const socket = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`, { headers: { Origin: "http://127.0.0.1" } } as unknown as string[]);
        await new Promise<void>((resolve, reject) => {
          socket.onopen = () => resolve();
          socket.onerror = () => reject(new Error("the inspector refused the connection"));
        });
        const profiler = new IsolateProfiler(socket);
        await profiler.send("Profiler.enable");
        await profiler.send("Profiler.setSamplingInterval", { interval: samplingMicros });
        return profiler;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  private send(
    method: string,
    params: Record<string, unknown> = {},
    needsResult = false,
  ): Promise<{ result?: { profile?: Profile }; error?: { message: string } }> {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the inspector did not answer ${method}`));
      }, 10_000);
      this.pending.set(id, (message) => {
        if (needsResult && !message.result && !message.error) return;
        clearTimeout(timer);
        this.pending.delete(id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async start(): Promise<void> {
    await this.send("Profiler.start");
  }

  /** Profiles lost (the inspector proxy now and then drops an answer): those runs have no isolate figure. */
  lost = 0;

  /** The run's raw profile, or undefined when the proxy dropped it. */
  async stopProfile(): Promise<Profile | undefined> {
    let profile: Profile | undefined;
    try {
      profile = (await this.send("Profiler.stop", {}, true)).result?.profile;
    } catch {
      profile = undefined;
    }
    if (!profile) this.lost += 1;
    return profile;
  }

  /** The last profile stop() read (profile-runs.ts reads where its time went). */
  last: Profile | undefined;

  async stop(): Promise<CpuSample> {
    const profile = await this.stopProfile();
    this.last = profile;
    if (!profile) return { cpuMs: Number.NaN, cpuOutsideD1Ms: Number.NaN, cpuOutsideD1GapsCutMs: Number.NaN, cpuGapsCutMs: Number.NaN, gcMs: Number.NaN };
    return cpuOf(profile);
  }

  close(): void {
    this.socket.close();
  }
}

/** Is this frame the D1 binding (cloudflare-internal:d1-api)? Its samples are the local SQLite's work. */
export function isD1Frame(node: ProfileNode | undefined): boolean {
  return (node?.callFrame.url ?? "").includes("d1-api");
}

/** The median spacing of the profile's samples, microseconds: the sampler's real interval on this machine. */
export function sampleSpacingMicros(profile: Profile): number {
  const deltas = profile.timeDeltas.slice(1).sort((a, b) => a - b);
  return deltas.length ? deltas[Math.floor((deltas.length - 1) / 2)]! : 0;
}

/** Twice the spacing: a longer delta spans a time the isolate was not sampled (unlocked, waiting). */
export function sampleCapMicros(profile: Profile): number {
  return 2 * sampleSpacingMicros(profile) || Number.POSITIVE_INFINITY;
}

/** What one sample stands for without the wait before it: its delta, or one interval after a gap. */
export function sampleDelta(delta: number, cap: number, spacing: number): number {
  return delta > cap ? spacing : delta;
}

/** A profile's CPU: every non-idle sample, those outside the D1 binding, and the garbage collector's. */
export function cpuOf(profile: Profile): CpuSample {
  const cap = sampleCapMicros(profile);
  const spacing = sampleSpacingMicros(profile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const underD1 = new Map<number, boolean>();
  const isUnderD1 = (id: number): boolean => {
    const known = underD1.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const result = isD1Frame(node) || (up !== undefined && isUnderD1(up));
    underD1.set(id, result);
    return result;
  };
  let cpu = 0;
  let outsideD1 = 0;
  let outsideD1Capped = 0;
  let capped = 0;
  let gc = 0;
  profile.samples.forEach((nodeId, index) => {
    const name = byId.get(nodeId)?.callFrame.functionName;
    const delta = profile.timeDeltas[index] ?? 0;
    if (name === "(idle)") return;
    cpu += delta;
    capped += sampleDelta(delta, cap, spacing);
    if (!isUnderD1(nodeId)) {
      outsideD1 += delta;
      outsideD1Capped += sampleDelta(delta, cap, spacing);
    }
    if (name === "(garbage collector)") gc += delta;
  });
  return { cpuMs: cpu / 1000, cpuOutsideD1Ms: outsideD1 / 1000, cpuOutsideD1GapsCutMs: outsideD1Capped / 1000, cpuGapsCutMs: capped / 1000, gcMs: gc / 1000 };
}
