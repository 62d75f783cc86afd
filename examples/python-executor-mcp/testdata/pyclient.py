"""Drive python-executor-mcp with the official Python MCP client (PyPI `mcp`).

Run by pyclient_test.go in a virtual environment with the pinned client:

    python pyclient.py --stdio SERVER_BINARY --http URL --dir WORKDIR

For each transport it connects twice: as the client does by default
(mode "auto": server/discover, falling back to initialize) and forced to the
initialize handshake (mode "legacy"). Every observation is one JSON line on
stdout, {"transport", "mode", "step", ...}, for the Go test to assert on; a
failure is a {"step": "error"} line and exit status 1. The stdio server
inherits this process's environment (its data directory, Python and uv).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from typing import Any, Literal

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.types import CallToolResult, Request, RequestParams, Result

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
DEADLINE_SECONDS = 60


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class TaskHandle(Result):
    """A tools/call answered with a task (resultType "task")."""

    result_type: Literal["task"] = "task"
    task_id: str
    status: str
    status_message: str | None = None
    poll_interval_ms: int | None = None


class TaskState(Result):
    """The answer to tasks/get."""

    result_type: str = "complete"
    task_id: str
    status: str
    status_message: str | None = None
    poll_interval_ms: int | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class TaskParams(RequestParams):
    task_id: str


class GetTaskRequest(Request[TaskParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    params: TaskParams
    name_param = "taskId"  # Mcp-Name: the extension requires it on tasks/*


class Tasks(ClientExtension):
    """The Tasks extension on the client's extension API.

    mcp 2.3.0 has no tasks client of its own (its task types are the
    2025-11-25 ones, types only); it offers ClientExtension and ResultClaim
    for extensions, active on 2026-07-28 connections only. This claim
    resolves a task handle by polling tasks/get, honouring pollIntervalMs,
    and records what it saw.
    """

    identifier = TASKS_EXTENSION

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=TaskHandle, resolve=self._resolve)]

    async def _resolve(self, handle: TaskHandle, ctx: ClaimContext) -> CallToolResult:
        self.seen.append({"resultType": handle.result_type, "status": handle.status, "taskId": handle.task_id})
        interval = (handle.poll_interval_ms or 1000) / 1000
        with anyio.fail_after(DEADLINE_SECONDS):
            while True:
                await anyio.sleep(min(interval, 1.0))
                state = await ctx.session.send_request(
                    GetTaskRequest(params=TaskParams(task_id=handle.task_id)), TaskState
                )
                self.seen.append({"resultType": state.result_type, "status": state.status, "taskId": state.task_id})
                if state.status == "completed":
                    return CallToolResult.model_validate(state.result)
                if state.status in ("failed", "cancelled"):
                    raise RuntimeError(f"task {state.task_id} {state.status}: {state.error or state.status_message}")
                interval = (state.poll_interval_ms or 1000) / 1000


def text_of(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


FLOOD = """import sys
n = int(sys.argv[1]) // 10
w = sys.stdout.write
for start in range(0, n, 100000):
    w("".join(f"{i:09d}\\n" for i in range(start, min(n, start + 100000))))
"""


async def session(transport: str, mode: str, server: Any, workdir: str, flood: int) -> None:
    def out(step: str, **fields: Any) -> None:
        emit(transport=transport, mode=mode, step=step, **fields)

    tasks = Tasks()
    async with Client(server, mode=mode, extensions=[tasks]) as client:
        out("connected", protocol_version=client.protocol_version,
            server=client.server_info.name if client.server_info else None,
            tasks_extension=TASKS_EXTENSION in (client.server_capabilities.extensions or {}))

        listed = await client.list_tools()
        out("tools", names=sorted(t.name for t in listed.tools))

        res = await client.call_tool("run_script_in_dir", {
            "directory": workdir, "use_uv": False,
            "script_content": "import os; print(6 * 7, os.getcwd())",
        })
        out("run", is_error=bool(res.is_error), text=text_of(res), structured=res.structured_content)
        if mode == "legacy":
            return  # the handshake era is covered by the run above; the rest once per transport

        res = await client.call_tool("run_script_in_dir_async", {
            "directory": workdir, "use_uv": False,
            "script_content": "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n",
        })
        job_id = (res.structured_content or {}).get("job_id")
        # The job runs on: read its stream until its output is there (the
        # server says not to cache it, so every read reaches the server).
        stream, deadline = "", time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            read = await client.read_resource(f"job-stream://{job_id}")
            stream = "".join(getattr(c, "text", "") for c in read.contents)
            if "to stdout" in stream and "to stderr" in stream:
                break
            await anyio.sleep(0.05)
        out("stream", is_error=bool(res.is_error), job_id=job_id, text=stream)

        res = await client.call_tool("run_script_in_dir", {
            "directory": os.path.join(workdir, "no-such-dir"), "use_uv": False, "script_content": "print(1)",
        })
        out("bad_argument", is_error=bool(res.is_error), text=text_of(res))

        # A flood through the client's transport, at the default budget and
        # at the largest; then the omitted middle, paged from its offset.
        for step, extra in (("flood", {}), ("flood_max", {"max_response_tokens": 32000})):
            res = await client.call_tool("run_script_in_dir", {
                "directory": workdir, "use_uv": False, "script_content": FLOOD, "args": [str(flood)], **extra,
            })
            sc = res.structured_content or {}
            out(step, is_error=bool(res.is_error), text=text_of(res), job_id=sc.get("job_id"),
                structured={k: sc.get(k) for k in ("stdout", "stdout_omitted_from", "stdout_omitted_bytes")})
            if step == "flood":
                job_id, offset = sc.get("job_id"), sc.get("stdout_omitted_from")
        res = await client.call_tool("get_job_output", {"job_id": job_id, "stdout_offset": offset})
        out("flood_page", is_error=bool(res.is_error), text=text_of(res)[:200],
            structured={"stdout": (res.structured_content or {}).get("stdout")})

        res = await client.call_tool("run_script_in_dir", {
            "directory": workdir, "use_uv": False, "async_mode": True, "markdown_output": False,
            "script_content": "import time; time.sleep(0.3); print('task done')",
        })
        out("task", is_error=bool(res.is_error), text=text_of(res), structured=res.structured_content,
            seen=tasks.seen)


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--stdio", required=True, help="the server binary, started over stdio")
    p.add_argument("--http", required=True, help="the URL of the server's streamable HTTP endpoint")
    p.add_argument("--dir", required=True, help="an existing directory for the scripts")
    p.add_argument("--flood", type=int, required=True, help="bytes of output of the flood steps")
    a = p.parse_args()
    stdio = StdioServerParameters(command=a.stdio, env=dict(os.environ))
    for transport, server in (("stdio", stdio), ("http", a.http)):
        for mode in ("auto", "legacy"):
            try:
                await session(transport, mode, server, a.dir, a.flood)
            except BaseException as e:  # report, then stop: the Go test shows the line
                emit(transport=transport, mode=mode, step="error", error=repr(e),
                     traceback=traceback.format_exc())
                sys.exit(1)


if __name__ == "__main__":
    anyio.run(main)
