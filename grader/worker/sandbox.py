"""How the worker process is shut in: what it can see, write, reach and signal.

grade.py plans it (`plan`: which folders to hide and which to leave in sight, which user to run as, the
limits); the worker enters it first thing (`enter`), before it imports torch or the learner's package.
It takes the strongest of three modes the machine allows:

- root (grade.py run as root: containers, Gradescope): new mount, network, pid and IPC namespaces. The
  whole file system is read-only, and the repository, the fixtures, the reports' folders, /tmp, /run and
  the home folders are covered by empty tmpfs mounts, with only what the worker needs put back in sight:
  grader/, course/, trainer/, assignment/ (the stubs: their given code, such as TransformerConfig, is
  there to be imported), the package being graded, Python and its packages. The worker then runs
  as a uid of its own (WORKER_UIDS), in a fresh tmpfs home, with every resource limit set.
- user (not root, where the kernel lets users create user namespaces): the same inside a user namespace,
  and the worker gives up the capabilities that namespace gave it; it keeps the user's own uid.
- plain (neither): a scrubbed environment, a fresh temporary working folder, the resource limits and a
  process session of its own; the worker can still read and write what the user can.

`python -m grader.worker.sandbox` starts a worker and prints what it got on this machine (--json: as JSON).
"""

from __future__ import annotations

import grp
import os
import pwd
import signal
import stat
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course import REPO_ROOT, fixtures_folder
from course.packages import package_folders

from . import linux
from .limits import Limits, apply, tasks_of

SANDBOX_GROUP_OF = "nobody"  # present on every Linux system: its group is the worker's when grade.py runs as root
# As root, the worker runs as uid WORKER_UIDS + grade.py's pid: a user no account is, and no other grading
# shares, so that the limit on a user's processes and threads is this grading's alone (gradings side by side).
WORKER_UIDS = 1 << 30
# What the worker may import from the repository: the grader, and the stubs' given code (TransformerConfig).
IN_SIGHT = ("grader", "course", "trainer", "assignment")
ALWAYS_HIDDEN = ("/tmp", "/var/tmp", "/run", "/home", "/root")  # shared scratch space, sockets, users' files
NEVER_HIDDEN = {"/", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/dev", "/proc", "/sys", "/opt",
                "/var"}
HOME_SIZE = "512m"  # the worker's tmpfs home (and TMPDIR)
SHM_SIZE = "64m"


@dataclass
class Policy:
    """What grade.py asks of the worker's sandbox; crosses to the worker as JSON on its command line."""

    mode: str  # "root", "user" or "plain"
    home: str  # the worker's working folder, HOME and TMPDIR: a fresh temporary folder
    parent: int  # grade.py's pid: the worker ends when grade.py does
    uid: int  # the user the worker runs as (root mode: a uid of its own; otherwise the user's own)
    gid: int
    hide: list[str] = field(default_factory=list)  # folders covered by an empty tmpfs
    expose: list[str] = field(default_factory=list)  # paths under those that stay in sight, read-only
    limits: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def chosen_mode() -> str:
    """root when run as root, else user; GRADER_SANDBOX=user or plain asks for less (for the self-tests)."""
    if not sys.platform.startswith("linux"):
        return "plain"  # namespaces, /proc and prctl are Linux's
    natural = "root" if os.geteuid() == 0 else "user"
    asked = os.environ.get("GRADER_SANDBOX", natural)
    order = ["plain", "user", "root"]
    return asked if asked in order and order.index(asked) <= order.index(natural) else natural


def sandbox_user() -> tuple[int, int]:
    """The worker's uid and gid when grade.py (this process) runs as root."""
    try:
        gid = pwd.getpwnam(SANDBOX_GROUP_OF).pw_gid
    except KeyError:
        try:
            gid = grp.getgrnam("nogroup").gr_gid
        except KeyError:
            gid = 65534
    return WORKER_UIDS + os.getpid(), gid


def is_worker_uid(uid: int) -> bool:
    return WORKER_UIDS <= uid < WORKER_UIDS + (1 << 22)  # pids stay below 2**22 on Linux


def plan(impl: str, reports: list[Path], limits: Limits, home: str, mode: str | None = None) -> Policy:
    """The sandbox for a worker grading `impl` (as course.packages.resolve gives it)."""
    mode = mode or chosen_mode()
    uid, gid = sandbox_user() if mode == "root" else (os.getuid(), os.getgid())
    repo = str(REPO_ROOT)
    package = [str(p) for p in package_folders(impl)]
    expose = [str(REPO_ROOT / name) for name in IN_SIGHT] + package + python_paths(repo) + [home]
    reports_folders = [str(Path(r).resolve().parent) for r in reports]
    hide = [repo, str(fixtures_folder().resolve()), *reports_folders, *git_folders(REPO_ROOT)]
    hide += [*ALWAYS_HIDDEN, *home_folder()]
    hide += [str(Path(p).resolve()) for p in os.environ.get("GRADER_HIDE", "").split(os.pathsep) if p]  # more, if asked
    if mode == "root":  # folders other users cannot pass through, on the way to what it needs (e.g. /root)
        hide += [a for p in expose if p != home for a in [closed_ancestor(p, uid, gid)] if a]
    hide = [h for h in dict.fromkeys(hide) if h not in NEVER_HIDDEN]
    return Policy(mode, home, os.getpid(), uid, gid, hide, list(dict.fromkeys(expose)), limits.as_dict())


def home_folder() -> list[str]:
    try:
        return [str(Path.home().resolve())]
    except (RuntimeError, KeyError, OSError):
        return []


def python_paths(repo: str) -> list[str]:
    """Python itself and every folder it imports from, except the repository (shown piece by piece)."""
    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)), *sys.path]
    found = []
    for p in paths:
        if not p or not os.path.exists(p):
            continue
        p = str(Path(p).resolve())
        if not within(repo, p):  # the repository itself, or a folder around it
            found.append(p)
    return found


def git_folders(repo: Path) -> list[str]:
    """The repository's git data (it holds every fixture and solution), also for a worktree's shared one."""
    dot_git = repo / ".git"
    if not dot_git.is_file():
        return []
    try:
        gitdir = Path(dot_git.read_text().split("gitdir:", 1)[1].strip())
        gitdir = (repo / gitdir).resolve()
        common = gitdir / (gitdir / "commondir").read_text().strip() if (gitdir / "commondir").exists() else gitdir
        return [str(gitdir), str(common.resolve())]
    except (OSError, IndexError):
        return []


def closed_ancestor(path: str, uid: int, gid: int) -> str | None:
    """The outermost folder above `path` that `uid` may not pass through, if any."""
    for folder in reversed(Path(path).parents):
        try:
            st = os.stat(folder)
        except OSError:
            return None
        if not (st.st_mode & stat.S_IXOTH or st.st_uid == uid and st.st_mode & stat.S_IXUSR
                or st.st_gid == gid and st.st_mode & stat.S_IXGRP):
            return str(folder)
    return None


def within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def depth(path: str) -> int:
    return path.rstrip("/").count("/")


# -- the worker's side ------------------------------------------------------------------------------


def enter(policy: Policy, pipes: tuple[int, ...]) -> dict:
    """Shut this process in as `policy` says; returns what it got. Call first thing in the worker.

    With a pid namespace, this process forks twice: it stays outside as the worker's stand-in for grade.py
    (it exits as the worker does), its child is the namespace's init, and only the grandchild returns.
    """
    _follow_parent(policy.parent)
    limits = Limits(**policy.limits)
    got: dict = {"mode": policy.mode, "namespaces": [], "view": False, "proc": False, "notes": []}
    if policy.mode == "plain":
        limits = Limits(**{**policy.limits, "processes_before": tasks_of(os.getuid())})
        return _settle(policy, limits, got, root=False)
    before = tasks_of(policy.uid) if policy.mode == "root" else 0
    entered = _unshare(policy.mode == "user", policy.home)
    got["namespaces"] = sorted(entered)
    if policy.mode == "user" and "user" not in entered:
        got["mode"] = "plain"
        got["notes"].append("user namespaces cannot be used here")
        limits = Limits(**{**policy.limits, "processes_before": tasks_of(os.getuid())})
        return _settle(policy, limits, got, root=False)
    limits = Limits(**{**policy.limits, "processes_before": before})
    if "mount" in entered:
        try:
            _build_view(policy)
            got["view"] = True
        except OSError as exc:
            got["notes"].append(f"could not hide the repository and the fixtures ({exc.strerror or exc})")
    if not got["view"] and policy.mode == "root":  # the worker's user must reach everything by itself, then
        reach = [p for p in policy.expose if p != policy.home]
        closed = [(p, a) for p in reach for a in [closed_ancestor(p, policy.uid, policy.gid)] if a]
        if closed:
            path, folder = closed[0]
            got["fatal"] = (f"the process to run your code runs as another user, who cannot reach {path} "
                            f"({folder} is closed to other users); make the folders on the way readable by all "
                            f"users, or let grade.py use mount namespaces (CAP_SYS_ADMIN)")
            return got
        os.chown(policy.home, policy.uid, policy.gid)
    if "pid" in entered:
        got["proc"] = _split_off_init(pipes)
    return _settle(policy, limits, got, root=policy.mode == "root")


def _follow_parent(parent: int) -> None:
    """End with grade.py: killed by the kernel when it exits, however it exits."""
    try:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: grade.py kills the worker's process group instead
    if os.getppid() != parent:  # it ended before we asked
        os._exit(1)


NAMESPACES = {"user": linux.CLONE_NEWUSER, "mount": linux.CLONE_NEWNS, "network": linux.CLONE_NEWNET,
              "pid": linux.CLONE_NEWPID, "ipc": linux.CLONE_NEWIPC}


def _unshare(user: bool, home: str) -> set[str]:
    """Enter the namespaces that work here: all at once where a trial in a child shows they do; as root,
    else each that does; without root, all or none (a user namespace half set up is worse than none)."""
    names = ["user", "mount", "network", "pid", "ipc"] if user else ["mount", "network", "pid", "ipc"]
    if not _works(names, home):
        names = [] if user else [name for name in names if _works([name], home)]
    if names:
        _enter(names)
    return set(names)


def _works(names: list[str], home: str) -> bool:
    """Whether entering these namespaces (and, with a mount namespace, mounting a tmpfs) works: tried in a
    child, since some of it cannot be undone (e.g. AppArmor lets a user namespace be made, then denies
    everything in it)."""
    child = os.fork()
    if child == 0:
        try:
            _enter(names)
            if "mount" in names:
                linux.mount("none", "/", None, linux.MS_REC | linux.MS_PRIVATE)
                linux.mount("tmpfs", home, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=1m")
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _enter(names: list[str]) -> None:
    uid, gid = os.getuid(), os.getgid()
    linux.unshare(sum(NAMESPACES[name] for name in names))
    if "user" in names:  # the same uid and gid inside as outside
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)


def _build_view(policy: Policy) -> None:
    """Cover the hidden folders with empty tmpfs mounts, put the exposed paths back, make it all read-only."""
    linux.mount("none", "/", None, linux.MS_REC | linux.MS_PRIVATE)  # nothing done here reaches the machine
    expose = [p for p in policy.expose if os.path.exists(p)]
    is_dir = {p: os.path.isdir(p) for p in expose}
    hide = sorted({h for h in policy.hide if os.path.isdir(h) and h not in expose}, key=depth)
    trees = {p: linux.open_tree(p) for p in expose}  # each exposed path as it is, before anything covers it
    mounted: list[str] = []
    umask = os.umask(0o022)
    try:
        covered: list[str] = []
        for h in hide:
            inside_exposed = any(within(h, p) for p in expose)
            if not inside_exposed and any(within(h, c) for c in covered):
                continue  # already out of sight
            linux.mount("tmpfs", h, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=1m,mode=0755")
            mounted.append(h)
            covered.append(h)
            under = [p for p in expose if within(p, h) and p != h]
            for p in under:
                if any(within(p, q) and q != p for q in under):
                    continue  # comes back with the folder around it
                if is_dir[p]:
                    os.makedirs(p, 0o755, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(p), 0o755, exist_ok=True)
                    open(p, "a").close()
                linux.move_mount(trees[p], p)
                mounted.append(p)
        linux.set_mount_attributes("/", linux.MOUNT_ATTR_RDONLY | linux.MOUNT_ATTR_NOSUID)
        owner = f"uid={policy.uid},gid={policy.gid}"
        options = f"size={HOME_SIZE},mode=0700,{owner}"
        linux.mount("tmpfs", policy.home, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, options)
        mounted.append(policy.home)
        if os.path.isdir("/dev/shm"):
            linux.mount("tmpfs", "/dev/shm", "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, f"size={SHM_SIZE},mode=1777")
    except OSError:
        for target in reversed(mounted):  # leave the view as it was: all or nothing
            try:
                linux.umount(target)
            except OSError:
                pass
        raise
    finally:
        os.umask(umask)
        for tree in trees.values():
            os.close(tree)


def _split_off_init(pipes: tuple[int, ...]) -> bool:
    """Fork the pid namespace's init, which forks the worker; this process waits outside and ends like it.

    Returns (in the worker only) whether /proc now shows the namespace's processes alone.
    """
    status_r, status_w = os.pipe()
    init = os.fork()
    if init:  # outside the namespace: grade.py's child, the worker's stand-in
        os.close(status_w)
        _close(pipes)
        os.waitpid(init, 0)
        reported = os.read(status_r, 32)
        _exit_like(int(reported) if reported else 9)  # no report: init was killed (grade.py killed us all)
    os.close(status_r)
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)  # the stand-in killed: the whole namespace goes
    try:
        linux.mount("proc", "/proc", "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
        proc = True
    except OSError:
        proc = False
    worker = os.fork()
    if worker:  # init: reap orphans until the worker ends, then pass on how it ended
        _close(pipes)
        linux.prctl(linux.PR_SET_DUMPABLE, 0)
        try:
            linux.drop_capabilities()
        except OSError:
            pass
        while True:
            pid, status = os.wait()
            if pid == worker:
                os.write(status_w, str(status).encode())
                os._exit(0)
    os.close(status_w)
    return proc


def _close(fds: tuple[int, ...]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _exit_like(status: int) -> None:
    """Exit with the worker's wait status: the same exit code, or death by the same signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):  # those two have no handler to reset
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _settle(policy: Policy, limits: Limits, got: dict, root: bool) -> dict:
    """The worker's last steps: its home, its limits, its user; from here on it cannot get privileges back."""
    os.chdir(policy.home)
    os.umask(0o077)
    apply(limits)
    if root:
        os.setgroups([])
        os.setresgid(policy.gid, policy.gid, policy.gid)
        os.setresuid(policy.uid, policy.uid, policy.uid)
    elif got["mode"] == "user":
        linux.drop_capabilities()
    try:
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)  # changing user clears it
    except OSError:
        if got["mode"] != "plain":
            raise
    if "pid" not in got["namespaces"] and os.getppid() != policy.parent:
        os._exit(1)
    uid = os.getuid()
    got["user"] = (pwd.getpwuid(uid).pw_name if _known(uid)
                   else "a uid of its own, no account's" if is_worker_uid(uid) else f"uid {uid}")
    got["limits"] = limits.as_dict()
    return got


def _known(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


def shortfalls(got: dict) -> list[str]:
    """What the worker could not be denied on this machine, in words for whoever runs grade.py."""
    missing = []
    if got["mode"] == "plain":
        missing.append("the learner's code runs as your own user and could end grade.py or change your files")
    elif not got["view"]:
        missing.append("the learner's code could read every file all users may read, the fixtures among them "
                       "(no mount namespace here)")
    if "network" not in got["namespaces"]:
        missing.append("its network could not be turned off")
    return missing


def describe(got: dict) -> str:
    """One line: what the worker got."""
    parts = [f"mode {got['mode']}", f"runs as {got.get('user', '?')}"]
    parts.append("namespaces: " + (", ".join(got["namespaces"]) or "none"))
    hidden = "repository, fixtures and reports hidden, file system read-only"
    parts.append(hidden if got["view"] else "sees every file its user can")
    if got["namespaces"] and "pid" in got["namespaces"]:
        parts.append("sees only its own processes" if got["proc"] else "its own pid namespace, but the machine's /proc")
    return "; ".join(parts + got["notes"])


if __name__ == "__main__":
    import json

    from .process import SandboxFailed, Worker

    worker = Worker("", Limits())
    try:
        got = worker.sandbox(timeout=120)
        print(json.dumps(got) if "--json" in sys.argv else describe(got))
    except SandboxFailed as exc:
        sys.exit(f"grade.py cannot grade here: {exc}")
    finally:
        worker.stop()
