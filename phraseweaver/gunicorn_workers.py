"""gunicorn's threaded worker, which refuses new connections as soon as it stops.

When an instance stops (SIGTERM: Fly stopping a machine, a deploy), gunicorn's master closes
its listening socket and tells the workers to finish the requests they have. The gthread
workers stop accepting but keep their copy of the socket open until they exit, so the kernel
goes on completing connections that no worker will take: a proxy sends requests down them,
and they are reset when the last worker exits (gunicorn issues #2409 and #3397). A grade sent
that way reached the instance as far as the proxy can tell, so the proxy may not send it
elsewhere: the learner got an error (bench/README.md, "Scale-out drill").

Here a worker closes its copy as it stops accepting. Once the master's and the workers' copies
are closed the socket is gone and connecting is refused, which a proxy retries on another
instance (nothing was sent). Requests in flight are still answered. A worker that stops alone
(max_requests) leaves the socket to the master and the other workers.
"""

from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker


class ThreadWorker(GunicornThreadWorker):
    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)  # the poller forgets the sockets first
        if not enabled and not self.alive:  # stopping, not merely busy
            for listener in self.sockets:
                listener.close()
