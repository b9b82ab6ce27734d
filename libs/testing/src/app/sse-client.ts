export interface SseEvent {
  type: string;
  id?: string;
  data: string;
  receivedAt: number;
}

/** Reads a server-sent-event stream over real HTTP, collecting events as they arrive. */
export async function openEventStream(
  url: string,
  token: string,
): Promise<{ events: SseEvent[]; close: () => void; ended: Promise<void> }> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (response.status !== 200 || !response.body)
    throw new Error(`event stream answered ${response.status}`);
  const events: SseEvent[] = [];
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { type: 'message', data: '', receivedAt: Date.now() };
          for (const line of block.split('\n')) {
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === 'event') event.type = value;
            else if (field === 'id') event.id = value;
            else if (field === 'data') event.data += value;
          }
          events.push(event);
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, close: () => controller.abort(), ended };
}
