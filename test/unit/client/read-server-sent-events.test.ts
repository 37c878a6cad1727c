import { readServerSentEvents, type ServerSentEvent } from '../../../src/client/read-server-sent-events';

/** A body delivered in the given chunks, to exercise events and lines split across reads. */
function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(streamOf(chunks))) events.push(event);
  return events;
}

describe('readServerSentEvents', () => {
  it('reads named events with their data', async () => {
    expect(await collect(['event: job\ndata: {"a":1}\n\nevent: end\ndata: {}\n\n'])).toEqual([
      { event: 'job', data: '{"a":1}' },
      { event: 'end', data: '{}' },
    ]);
  });

  it('joins events and lines split across chunks, including a CRLF split between chunks', async () => {
    expect(await collect(['event: jo', 'b\r', '\ndata: 1\r\n', '\r\n', 'data: x\n', '\n'])).toEqual([
      { event: 'job', data: '1' },
      { event: 'message', data: 'x' },
    ]);
  });

  it('ignores comments such as keep-alives, joins multi-line data, and drops an unfinished last event', async () => {
    expect(await collect([': keep-alive\n\n', 'data: a\ndata: b\n\n', 'event: job\ndata: cut'])).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('keeps a value without the space after the colon', async () => {
    expect(await collect(['event:job\ndata:{"x":2}\n\n'])).toEqual([{ event: 'job', data: '{"x":2}' }]);
  });
});
