// The game: a bitECS world replicated with bitecs-multiuser, drawn with Babylon through attachBabylon.
// Everything that crosses the network is declared in proto/demo/*.proto (Transform, Avatar, Crate, Chat, Emote).
import { addComponent, addEntity, createWorld, hasComponent, query, removeEntity } from 'bitecs'
import {
  createNetwork, peerJsTransport, relayClient, withLinkConditions,
  type ConditionedTransport, type MultiuserError, type PeerJsTransport, type RoomCredentials, type TokenSource,
} from 'bitecs-multiuser'
import { attachBabylon } from 'bitecs-multiuser/babylon'
import { PointerEventTypes } from '@babylonjs/core/Events/pointerEvents.js'
import { Matrix, Vector3 } from '@babylonjs/core/Maths/math.vector.js'
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh.js'
import { Avatar, Chat, Crate, Emote, Move, Transform, demoSchema } from '../generated/demo/schema.js'
import { WORLD_HALF, avatarPrefab, cratePrefab, createScene } from './scene.js'
import { moveAvatar, SPEED, TICK_RATE } from './sim.js'

export interface GameOptions {
  canvas: HTMLCanvasElement
  relayUrl: string
  room: string
  /** What a room of the lobby needs to let us in (its password, a match's session ticket, an invite). */
  credentials?: RoomCredentials
  /** Asks the player for the room's password when the relay wants one (null: they gave up). */
  askPassword?: () => string | null
  token: TokenSource
  /** Shown when the relay gives us no verified handle (anonymous players). */
  fallbackName: string
  /**
   * Host mode (`#room=…&host=1`): play against a host (`npm run host`), which owns the avatars and the crates; ours is
   * predicted from our inputs. Default false: every player owns its avatar (owner authority).
   */
  hostMode?: boolean
  /** Render at 1/renderScale resolution (slow GPUs, software GL in tests). Default 1. */
  renderScale?: number
  /** A readable problem and, when it makes sense, how to retry. `null` clears the message of that kind. */
  onProblem(kind: ProblemKind, message: string | null, retry?: () => void): void
}
export type ProblemKind = 'relay' | 'token' | 'peer' | 'schema' | 'webgl' | 'friends'

const CRATE_COLORS = [0xe07a3f, 0x3f8ee0, 0xe0c53f, 0x9b59d0, 0x3fc28a, 0xe04f6a]
const EMOJI = ['👋', '😂', '❤️']

export type Game = Awaited<ReturnType<typeof startGame>>

export async function startGame(o: GameOptions) {
  // ---- network: PeerJS mesh through the relay, wrapped by the "network conditions" simulator ----
  const world = createWorld()
  const transport: PeerJsTransport & ConditionedTransport = withLinkConditions(peerJsTransport({ relay: relayClient(o.relayUrl, { token: o.token }) }))
  const hostMode = o.hostMode === true
  const net = createNetwork(world, { schema: demoSchema, transport, tickRate: TICK_RATE, interpolationDelay: 100, ...(hostMode ? { authority: 'host' as const } : {}) })

  // ---- scene ----
  const { engine, scene, camera } = createScene(o.canvas)
  if (o.renderScale) engine.setHardwareScalingLevel(o.renderScale)
  const nameOf = (peerId: string | null): string => {
    if (!peerId) return '?'
    if (peerId === transport.self?.id) return myName()
    const verified = transport.peers.get(peerId)?.handle
    if (verified) return verified
    for (const eid of query(world, [Avatar])) if (net.ownerOf(eid) === peerId) return Avatar.name[eid] ?? peerId.slice(0, 6)
    return peerId.slice(0, 6)
  }
  const emotes = new Map<string, { kind: number; until: number }>()
  const avatarLabel = (eid: number): string => {
    const owner = net.ownerOf(eid)
    const e = owner ? emotes.get(owner) : undefined
    return (e && e.until > performance.now() ? EMOJI[e.kind] + ' ' : '') + nameOf(owner)
  }
  const view = attachBabylon(scene, net, {
    prefabs: [
      [Avatar, avatarPrefab({ color: (eid) => Avatar.color[eid], label: avatarLabel })],
      [Crate, cratePrefab({ color: (eid) => Crate.color[eid], label: () => '', carried: (eid) => Crate.carried[eid] === 1 })],
    ],
  })

  // ---- state ----
  let me = -1
  let carrying = -1
  const chat: { from: string; text: string }[] = []
  const myName = (): string => transport.self?.handle ?? o.fallbackName
  const crates = (): number[] => {
    const key = (eid: number) => {
      const id = net.netIdOf(eid)
      return id ? `${id.origin}:${String(id.n).padStart(6, '0')}` : `~${eid}`
    }
    return [...query(world, [Crate, Transform])].filter((e) => net.isReplicated(e)).sort((a, b) => (key(a) < key(b) ? -1 : 1))
  }

  // ---- problems a player can meet ----
  transport.on('status', (s) => {
    if (s === 'reconnecting') o.onProblem('relay', 'Lost the relay; reconnecting… (players already connected stay connected)')
    if (s === 'joined') {
      o.onProblem('relay', null)
      o.onProblem('token', null)
      if (!hostMode) {
        if (me < 0) spawnMe()
        ensureCrates()
      }
    }
  })
  transport.on('error', (e: MultiuserError) => {
    // The transport retries by itself (the relay not started yet, or restarting); Retry tries again at once.
    if (e.code === 'RELAY_UNREACHABLE') o.onProblem('relay', `Cannot reach the relay at ${o.relayUrl}; retrying… Is it running (npm start)?`, () => void join())
    else o.onProblem('relay', `Relay trouble: ${e.message}`, () => void join())
  })
  transport.on('peerUnreachable', (id, reason) =>
    o.onProblem('peer', `Could not connect to player ${id.slice(0, 8)} (${reason}). A firewall may block WebRTC.`, () => void join()),
  )
  transport.on('peerJoined', () => o.onProblem('peer', null))
  net.events.on('refused', (r) =>
    o.onProblem('schema', `Player ${r.peerId.slice(0, 8)} runs a different version of the game (${r.code}: ${r.detail}). Both need the same build: reload.`, () => location.reload()),
  )

  /** Joins the room; resolves once admitted (the transport retries while the relay is unreachable). */
  let credentials = o.credentials
  async function join(): Promise<void> {
    try {
      await transport.join(o.room, credentials)
    } catch (e) {
      const err = e as MultiuserError
      const password = err.code?.startsWith('ROOM_PASSWORD_') ? o.askPassword?.() : null
      if (password) {
        credentials = { ...credentials, password }
        return join()
      }
      if (err.code?.startsWith('AUTH_') || err.code === 'TOKEN_SOURCE_FAILED') o.onProblem('token', `The relay refused your sign-in (${err.code}): ${err.message}`, () => void join())
      else o.onProblem('relay', `Could not join room "${o.room}": ${err.message}`, () => void join())
      return
    }
    if (me >= 0 && !hostMode) Avatar.name[me] = myName()
  }

  // Host mode: the host spawns our avatar; we find it, and predict it from our inputs (the host runs the same step).
  const wish = { dx: 0, dz: 0, yaw: 0 }
  if (hostMode) {
    net.events.on('entitySpawned', ({ eid }) => {
      if (me >= 0 || !hasComponent(world, eid, Avatar) || Avatar.peer[eid] !== transport.self?.id) return
      me = eid
      net.predict(me, Move, (_w, e, input) => moveAvatar(e, input))
    })
    net.events.on('entityDespawned', ({ eid }) => eid === me && (me = -1))
  }

  function spawnMe(): void {
    me = addEntity(world)
    addComponent(world, me, Transform)
    addComponent(world, me, Avatar)
    Transform.x[me] = (Math.random() - 0.5) * 8
    Transform.y[me] = 0
    Transform.z[me] = (Math.random() - 0.5) * 8 - 3
    Avatar.name[me] = myName()
    Avatar.did[me] = transport.self?.did ?? ''
    Avatar.color[me] = (Math.random() * 0xffffff) | 0x202020
    net.spawn(me)
  }

  /**
   * Admission order, from the relay-signed tickets (the same for every player, whatever their clocks): smaller
   * first, ties by peer id. Unknown peers (left already) count as last.
   */
  const admitted = (peerId: string): [number, string] => {
    const p = peerId === transport.self?.id ? transport.self : (transport.peers.get(peerId) ?? transport.roster.get(peerId))
    return [p?.admittedAt ?? Infinity, peerId]
  }
  const earlier = (x: string, y: string): boolean => {
    const [a, b] = [admitted(x), admitted(y)]
    return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])
  }

  /**
   * The room's first admitted player puts the crates down (persistent: they outlive whoever spawned them): we do
   * when no one in the room was admitted before us and there are no crates yet.
   */
  function ensureCrates(): void {
    const self = transport.self
    if (crates().length > 0 || !self || [...transport.roster.keys()].some((id) => earlier(id, self.id))) return
    for (let i = 0; i < 4; i++) {
      const c = addEntity(world)
      addComponent(world, c, Transform)
      addComponent(world, c, Crate)
      Transform.x[c] = -4.5 + i * 3
      Transform.y[c] = 0.5
      Transform.z[c] = 3
      Crate.color[c] = CRATE_COLORS[i]
      net.spawn(c, { persistent: true })
    }
  }

  /** Two players who joined an empty room at once both put crates down: the first admitted one's set stays. */
  function dedupeCrates(): void {
    const self = transport.self?.id
    const origins = new Set(crates().map((c) => net.netIdOf(c)!.origin))
    if (!self || origins.size < 2) return
    const keep = [...origins].reduce((a, b) => (earlier(b, a) ? b : a))
    for (const c of crates()) {
      if (net.netIdOf(c)!.origin !== keep && net.netIdOf(c)!.origin === self && net.isOwner(c)) {
        net.despawn(c)
        removeEntity(world, c)
      }
    }
  }

  // ---- actions (keys, clicks, the debug handle) ----
  async function grab(crate: number): Promise<boolean> {
    if (hostMode || !(await net.requestOwnership(crate))) return false // host mode: the host's crates
    if (carrying >= 0 && carrying !== crate) drop()
    carrying = crate
    Crate.carried[crate] = 1
    return true
  }
  function drop(): void {
    if (carrying >= 0 && net.isOwner(carrying)) {
      Crate.carried[carrying] = 0
      Transform.y[carrying] = 0.5
    }
    carrying = -1
  }
  function nearestCrate(maxDistance = 3): number {
    let best = -1
    let bestD = maxDistance
    for (const c of crates()) {
      const d = Math.hypot(Transform.x[c] - Transform.x[me], Transform.z[c] - Transform.z[me])
      if (d < bestD) (best = c), (bestD = d)
    }
    return best
  }
  async function recolor(crate: number): Promise<boolean> {
    if (hostMode || (Crate.carried[crate] && !net.isOwner(crate))) return false // someone is carrying it
    if (!(await net.requestOwnership(crate))) return false
    Crate.color[crate] = CRATE_COLORS[(CRATE_COLORS.indexOf(Crate.color[crate]) + 1) % CRATE_COLORS.length]
    return true
  }
  function say(text: string): void {
    text = text.trim().slice(0, 200)
    if (!text) return
    net.send(Chat, { text })
    pushChat(myName(), text)
  }
  function pushChat(from: string, text: string): void {
    chat.push({ from, text })
    if (chat.length > 100) chat.shift()
    onChat?.()
  }
  let onChat: (() => void) | null = null
  let onChatKey: (() => void) | null = null
  function emote(kind: number): void {
    net.send(Emote, { kind })
    if (transport.self) emotes.set(transport.self.id, { kind, until: performance.now() + 2500 })
  }
  net.on(Chat, (m, from) => pushChat(nameOf(from.id), m.text))
  net.on(Emote, (m, from) => emotes.set(from.id, { kind: m.kind, until: performance.now() + 2500 }))

  // ---- input: keys, touch stick, clicks ----
  const keys = new Set<string>()
  const stick = { x: 0, y: 0 }
  // Keys typed into a text field (the chat, sign-in) never drive the game; focusing one lets go of held keys.
  const typing = (e: Event) => e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || document.activeElement instanceof HTMLInputElement
  addEventListener('focusin', (e) => typing(e) && keys.clear())
  addEventListener('keydown', (e) => {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return
    if (e.code === 'Enter' || e.code === 'NumpadEnter') {
      e.preventDefault() // the Enter that opens the chat must not also submit it
      keys.clear()
      onChatKey?.()
      return
    }
    keys.add(e.code)
    if (e.code === 'KeyE' && !e.repeat) {
      if (carrying >= 0) drop()
      else {
        const c = nearestCrate()
        if (c >= 0) void grab(c)
      }
    }
    if (['Digit1', 'Digit2', 'Digit3'].includes(e.code)) emote(Number(e.code.slice(5)) - 1)
  })
  addEventListener('keyup', (e) => keys.delete(e.code))
  addEventListener('blur', () => keys.clear())
  scene.onPointerObservable.add((p) => {
    const eid = view.entityOf(p.pickInfo?.pickedMesh)
    if (eid !== undefined && hasComponent(world, eid, Crate)) void recolor(eid)
  }, PointerEventTypes.POINTERTAP)

  // ---- loops: the network at a fixed tick, rendering every frame ----
  // The tick runs from a timer (keeps going in background tabs) and from the render loop (a busy main thread
  // starves timers first), whichever comes first once a tick is due.
  let lastTick = 0
  let ticks = 0
  let ticksPerSecond = 0
  const pump = (): void => {
    const now = performance.now()
    if (now - lastTick < 1000 / TICK_RATE - 2) return
    lastTick = now
    ticks++
    net.receive()
    if (carrying >= 0 && !net.isOwner(carrying)) carrying = -1 // someone grabbed it from us
    // Host mode: one input per tick, what the keys and the stick ask for now.
    if (hostMode && me >= 0 && net.hostId) net.sendInput(Move, wish)
    net.flush()
  }
  const netTimer = setInterval(pump, 1000 / TICK_RATE)
  const dedupeTimer = setInterval(() => hostMode || dedupeCrates(), 1000)
  setInterval(() => ((ticksPerSecond = ticks), (ticks = 0)), 1000)
  net.events.on('error', (e) => console.warn('handler error', e))

  const forward = new Vector3()
  engine.runRenderLoop(() => {
    const dt = Math.min(engine.getDeltaTime() / 1000, 0.1)
    if (me >= 0) {
      let ix = stick.x
      let iz = stick.y
      if (keys.has('KeyW') || keys.has('ArrowUp')) iz += 1
      if (keys.has('KeyS') || keys.has('ArrowDown')) iz -= 1
      if (keys.has('KeyD') || keys.has('ArrowRight')) ix += 1
      if (keys.has('KeyA') || keys.has('ArrowLeft')) ix -= 1
      wish.dx = wish.dz = 0
      if (ix !== 0 || iz !== 0) {
        // Relative to where the camera looks.
        camera.target.subtractToRef(camera.position, forward)
        const yaw = Math.atan2(forward.x, forward.z) + Math.atan2(ix, iz)
        const len = Math.min(1, Math.hypot(ix, iz))
        if (hostMode) Object.assign(wish, { dx: Math.sin(yaw) * len, dz: Math.cos(yaw) * len, yaw: Math.atan2(Math.sin(yaw), Math.cos(yaw)) })
        else move(Math.sin(yaw) * SPEED * dt * len, Math.cos(yaw) * SPEED * dt * len, yaw)
      }
      // The camera follows at its distance and angles (which the player's drag and zoom set): keep them, move it.
      camera.setTarget(Vector3.Lerp(camera.target, new Vector3(Transform.x[me], 1, Transform.z[me]), Math.min(1, dt * 6)), false, false, true)
    }
    if (carrying >= 0 && net.isOwner(carrying)) {
      const yaw = Transform.yaw[me]
      Transform.x[carrying] = Transform.x[me] + Math.sin(yaw) * 1.1
      Transform.z[carrying] = Transform.z[me] + Math.cos(yaw) * 1.1
      Transform.y[carrying] = 1.3
      Transform.yaw[carrying] = yaw
    }
    pump()
    scene.render()
  })
  // Portrait screens: keep the whole row of crates in view (Babylon fixes the vertical field of view by default).
  const fitView = () => {
    engine.resize()
    camera.fovMode = engine.getRenderWidth() < engine.getRenderHeight() ? 1 /* FOVMODE_HORIZONTAL_FIXED */ : 0
  }
  fitView()
  addEventListener('resize', fitView)

  /** Where each crate is drawn on the screen, in CSS pixels (tests check that no overlay covers one). */
  function crateRects(): { index: number; left: number; top: number; right: number; bottom: number }[] {
    const w = engine.getRenderWidth()
    const h = engine.getRenderHeight()
    const css = o.canvas.clientWidth / w
    const viewport = camera.viewport.toGlobal(w, h)
    return crates().flatMap((eid, index) => {
      const mesh = view.nodeOf(eid) as AbstractMesh | undefined
      if (!mesh?.getBoundingInfo) return []
      mesh.computeWorldMatrix(true)
      const pts = mesh.getBoundingInfo().boundingBox.vectorsWorld.map((v) => Vector3.Project(v, Matrix.IdentityReadOnly, scene.getTransformMatrix(), viewport))
      const xs = pts.map((p) => p.x * css)
      const ys = pts.map((p) => p.y * css)
      return [{ index, left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) }]
    })
  }

  const departures: { id: string; at: number }[] = []
  net.events.on('peerLeft', (id) => departures.push({ id, at: Date.now() }))

  function move(dx: number, dz: number, yaw?: number): void {
    if (me < 0) return
    if (hostMode) {
      // The debug handle's move: a step of (dx, dz) as inputs, one per tick (the host walks at SPEED).
      const ticks = Math.max(1, Math.round(Math.hypot(dx, dz) / (SPEED / TICK_RATE)))
      const len = Math.hypot(dx, dz) || 1
      for (let i = 0; i < ticks; i++) setTimeout(() => net.sendInput(Move, { dx: dx / len, dz: dz / len, yaw: yaw ?? 0 }), (i * 1000) / TICK_RATE)
      return
    }
    Transform.x[me] = Math.max(-WORLD_HALF + 0.5, Math.min(WORLD_HALF - 0.5, Transform.x[me] + dx))
    Transform.z[me] = Math.max(-WORLD_HALF + 0.5, Math.min(WORLD_HALF - 0.5, Transform.z[me] + dz))
    if (yaw !== undefined) Transform.yaw[me] = Math.atan2(Math.sin(yaw), Math.cos(yaw))
  }
  void join()

  return {
    net,
    transport,
    world,
    view,
    scene,
    stick,
    get chat() {
      return chat
    },
    set onChat(f: (() => void) | null) {
      onChat = f
    },
    /** Called on Enter outside a text field (the page opens its chat box). */
    set onChatKey(f: (() => void) | null) {
      onChatKey = f
    },
    get ticksPerSecond() {
      return ticksPerSecond
    },
    get fps() {
      return engine.getFps()
    },
    myName,
    nameOf,
    join,
    say,
    emote,
    move,
    grab,
    drop,
    recolor,
    crates,
    crateRects,
    /** What this page shows, for tests and the curious (`__demo.state()` in the console). */
    state() {
      const pos = (eid: number) => {
        const n = view.nodeOf(eid)
        return n ? { x: +n.position.x.toFixed(3), y: +n.position.y.toFixed(3), z: +n.position.z.toFixed(3) } : null
      }
      return {
        self: transport.self?.id ?? null,
        admittedAt: transport.self?.admittedAt ?? null,
        name: myName(),
        did: transport.self?.did ?? null,
        room: o.room,
        status: transport.status,
        avatars: [...query(world, [Avatar, Transform])].filter((e) => net.isReplicated(e)).map((eid) => ({
          owner: net.ownerOf(eid), name: nameOf(net.ownerOf(eid)), declaredName: Avatar.name[eid] ?? '', did: Avatar.did[eid] || null, local: net.isOwner(eid),
          mine: eid === me, ...pos(eid),
        })),
        crates: crates().map((eid, index) => ({ index, owner: net.ownerOf(eid), origin: net.netIdOf(eid)?.origin ?? null, color: Crate.color[eid], carried: Crate.carried[eid] === 1, ...pos(eid) })),
        chat: chat.map((l) => ({ ...l })),
        peers: net.peers.map((p) => ({ id: p.id, name: nameOf(p.id), did: p.did, rtt: p.rtt, loss: p.loss, admittedAt: transport.peers.get(p.id)?.admittedAt ?? null })),
        /** Peers that left, and when this page saw them go (Unix ms). */
        departures: departures.map((d) => ({ ...d })),
      }
    },
    dispose() {
      clearInterval(netTimer)
      clearInterval(dedupeTimer)
      engine.stopRenderLoop()
      view.dispose()
      net.close()
      transport.close()
      engine.dispose()
    },
  }
}
