"""A TCP proxy that holds every byte from the client for a fixed delay before passing it on.

Used by scripts/bench-org.sh to put 50 ms of latency in front of a sandbox that has already
been repaired at 0 ms (the sandbox's own --latency-ms is fixed for its lifetime, and a
repairing run at 50 ms over 50 repositories would take over an hour). Each chunk read from the
client is forwarded `delay` after it arrived, in order, so a request costs `delay` however it is
split into TCP reads, and requests on one keep-alive connection stay serial as the client sends
them. Answers flow back untouched.

Usage: python3 delay_proxy.py UPSTREAM_PORT DELAY_FILE
DELAY_FILE holds the delay in milliseconds; it is read again for every new connection, so one
proxy (one URL, hence one conditional-request cache, which is keyed by URL) serves runs at
different latencies. Prints "http://127.0.0.1:PORT" on its first line once listening; runs until
killed.
"""

import asyncio
import sys


async def pump_delayed(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            item = await queue.get()
            if item is None:
                break
            due, data = item
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            queue.put_nowait((loop.time() + delay, data))
    except ConnectionError:
        pass
    queue.put_nowait(None)
    try:
        await sender
    except ConnectionError:
        pass


async def pump(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    upstream_port = int(sys.argv[1])
    delay_file = sys.argv[2]

    async def handle(client_reader, client_writer):
        with open(delay_file) as f:
            delay = int(f.read().strip() or "0") / 1000.0
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pump_delayed(client_reader, up_writer, delay),
            pump(up_reader, client_writer),
        )

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
