/**
 * Server-sent events read from a `fetch` body (the relay's matchmaking and host registration streams are answers
 * to POSTs, which `EventSource` cannot send). `readEvents` yields each event with its JSON `data`; comments
 * (keep-alives), other fields and events whose data is not JSON are skipped.
 */

/** One server-sent event: its name (`message` when none) and its JSON data. */
export interface ServerSentEvent {
  name: string
  data: unknown
}

/** The events of `body` until it ends; throws what the body's reader throws (a broken stream, an abort). */
export async function* readEvents(body: ReadableStream<BufferSource>): AsyncGenerator<ServerSentEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  try {
    for (;;) {
      const chunk = await reader.read()
      if (chunk.done) return
      buffer += chunk.value.replace(/\r\n?/g, '\n')
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = parseEvent(buffer.slice(0, end))
        buffer = buffer.slice(end + 2)
        if (event) yield event
      }
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}

/** One server-sent event (`event:` and `data:` lines; comments and other fields ignored), or null. */
function parseEvent(block: string): ServerSentEvent | null {
  let name = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') name = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return null
  try {
    return { name, data: JSON.parse(data.join('\n')) }
  } catch {
    return null
  }
}
