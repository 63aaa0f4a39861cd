"""Installing PyTorch (and GeoGAN's optional packages) into QGIS's own Python without touching what QGIS ships.

How, and why:
- pip runs with QGIS's real interpreter (`qgis_python_executable`), with `--target` a folder the plugin owns in
  the QGIS profile, one per Python version (`packages_folder`). `--target` never uninstalls or replaces anything
  outside that folder, and is allowed on an "externally managed" Python such as Debian's, where
  `pip install --user` is refused.
- The plugin appends that folder to `sys.path` (`add_packages_folder_to_path`): QGIS's own packages come first,
  so nothing the folder holds shadows them. The one exception is named in the folder's override file: a package
  torch needs in a newer version than QGIS's Python has (Debian 12's sympy 1.11 for torch 2.13, whose optimiser
  imports it); it comes from the folder, the installer's log says so, and never numpy or what is built on it.
- A constraints file written from the running Python (`constraints_text`) pins numpy, and every installed
  package that depends on numpy, to the version QGIS has, so pip picks a torch (or matplotlib) that works with
  the numpy QGIS imports; other installed packages are constrained never to go older than QGIS's. (Copies pip
  puts in the folder of packages QGIS already has stay behind QGIS's own on sys.path, unused.)
- The CUDA build is chosen when an NVIDIA driver answers (`torch_index_url`), the CPU build otherwise.
- pip installs into a staging folder; only when it succeeded and torch imports in a fresh interpreter (with
  the folder appended, as the plugin does) does the staging folder replace the old one, so a cancelled or failed
  install never leaves half a torch on sys.path.

This module imports neither QGIS nor Qt, so it also runs as a script with any Python:
    python3 torch_installer.py install --target FOLDER [--cpu] [-- extra pip arguments]
"""

import argparse
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig

TORCH_REQUIREMENT = "torch>=2.1"
# Optional packages GeoGAN uses when present: installed with torch when QGIS's Python lacks them.
OPTIONAL_REQUIREMENTS = {"matplotlib": "matplotlib", "scipy": "scipy"}  # import name: requirement
PACKAGES_DIR_NAME = "geogan-packages"
PYTORCH_INDEX = "https://download.pytorch.org/whl/"
# (CUDA build, minimum driver on Linux, minimum driver on Windows), newest first: NVIDIA's CUDA toolkit release
# notes, table 3 ("CUDA Toolkit and Corresponding Driver Versions"). A driver older than the last row gets the
# CPU build.
CUDA_BUILDS = (
    ("cu130", (580, 65, 6), (580, 88)),
    ("cu128", (570, 26), (570, 65)),
    ("cu126", (560, 28, 3), (560, 76)),
    ("cu118", (520, 61, 5), (520, 6)),
)
# PEP 440 public versions (optionally with a local label): what a constraints file can pin.
_VERSION = re.compile(
    r"^\s*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?"
    r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$",
    re.IGNORECASE)


def python_tag(version_info=sys.version_info) -> str:
    return f"py{version_info[0]}{version_info[1]}"


def packages_root(settings_dir: str) -> str:
    """The plugin's folder for installed packages inside a QGIS profile (QgsApplication.qgisSettingsDirPath())."""
    return os.path.join(settings_dir, "python", PACKAGES_DIR_NAME)


def packages_folder(settings_dir: str, version_info=sys.version_info) -> str:
    """One folder per Python version: a QGIS upgrade to another Python never loads incompatible binaries."""
    return os.path.join(packages_root(settings_dir), python_tag(version_info))


OVERRIDES_FILE = "geogan-overrides.txt"
# Never taken from the folder in front of this Python's own copy: the build tools and the numpy stack.
NEVER_OVERRIDDEN = {"pip", "setuptools", "wheel", "numpy"}


class _OverrideFinder:
    """Finds the listed top-level modules in the folder first (see find_overrides); everything else keeps
    sys.path's order, where the folder comes last."""

    def __init__(self, folder: str, names: set):
        self.folder, self.names = folder, names

    def find_spec(self, name, path=None, target=None):
        if path is not None or name not in self.names:
            return None
        from importlib.machinery import PathFinder

        return PathFinder.find_spec(name, [self.folder])


def read_overrides(folder: str) -> set:
    try:
        with open(os.path.join(folder, OVERRIDES_FILE), encoding="utf-8") as handle:
            return {line.split("#")[0].strip() for line in handle if line.split("#")[0].strip()}
    except OSError:
        return set()


def add_packages_folder_to_path(folder: str) -> bool:
    """Append (never prepend) the folder to sys.path, so this Python's own packages are found first; only the
    modules listed in the folder's override file (packages torch needs newer than this Python has, never
    numpy or what is built on it) come from the folder. A plain append, not site.addsitedir: .pth files there
    (setuptools' distutils hook) must not run in QGIS."""
    if not os.path.isdir(folder):
        return False
    if folder not in sys.path:
        sys.path.append(folder)
        overrides = read_overrides(folder)
        if overrides:
            sys.meta_path.insert(0, _OverrideFinder(folder, overrides))
        import importlib

        importlib.invalidate_caches()
    return True


def _packaging():
    try:
        from packaging.requirements import Requirement
        from packaging.version import Version
    except ImportError:  # QGIS's Python on Windows and macOS may have packaging only inside pip
        from pip._vendor.packaging.requirements import Requirement
        from pip._vendor.packaging.version import Version
    return Requirement, Version


def _top_level_modules(distribution) -> set:
    names = set()
    for file in distribution.files or []:
        first = file.parts[0]
        if first.endswith((".dist-info", ".data")) or first in ("..", "bin", "__pycache__"):
            continue
        names.add(first[:-3] if first.endswith(".py") else first)
    return {name for name in names if name.isidentifier()}


def find_overrides(folder: str) -> dict:
    """{module: why} for the packages installed in the folder that this Python also has, but in a version the
    folder's packages cannot use (e.g. torch 2.13 needs sympy>=1.13.3, Debian 12 has 1.11.1): appended, the old
    copy would win and torch would fail. Run with the Python that will import them, without the folder on
    sys.path. Never numpy, nor anything built on numpy (those are pinned to this Python's versions)."""
    Requirement, Version = _packaging()  # noqa: N806 (classes)
    system = installed_distributions(exclude_under=folder)
    in_folder = {canonical_name(d.metadata["Name"]): d for d in importlib.metadata.distributions(path=[folder])}
    needed = {}
    for distribution in in_folder.values():
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            key = canonical_name(requirement.name)
            if key not in system or key not in in_folder or key in NEVER_OVERRIDDEN or system[key][2]:
                continue
            try:
                fits = Version(system[key][1]) in requirement.specifier
            except ValueError:
                fits = False
            if not fits:
                needed[key] = f"{distribution.metadata['Name']} needs {requirement}, this Python has {system[key][1]}"
    return {module: why for key, why in needed.items() for module in _top_level_modules(in_folder[key])}


def write_overrides(folder: str) -> dict:
    overrides = find_overrides(folder)
    with open(os.path.join(folder, OVERRIDES_FILE), "w", encoding="utf-8") as handle:
        handle.write("# Modules taken from this folder before the Python's own copy, and why\n")
        handle.writelines(f"{module}  # {why}\n" for module, why in sorted(overrides.items()))
    return overrides


def qgis_python_executable() -> str:
    """The Python interpreter of the running QGIS, to run pip with. sys.executable is the QGIS program itself
    in the desktop (qgis, qgis-bin.exe, QGIS.app/Contents/MacOS/QGIS), so look beside the Python QGIS embeds:
    Linux /usr/bin/python3.X, Windows (OSGeo4W and the standalone installer) apps/Python3XX/python.exe,
    macOS QGIS.app/Contents/MacOS/bin/python3 or its Python framework's bin/python3.X."""
    executable = sys.executable or ""
    # Embedded in QGIS or qgis_process, sys.executable can be whatever "python3" is first on PATH (a pyenv shim,
    # another Python): trust it only when it belongs to the running Python's own prefix.
    own_prefix = os.path.abspath(sys.exec_prefix) + os.sep
    if os.path.basename(executable).lower().startswith("python") and os.path.abspath(executable).startswith(own_prefix):
        return executable
    major, minor = sys.version_info[:2]
    names = (f"python{major}.{minor}", f"python{major}", "python", "python.exe", f"python{major}.exe")
    folders = [os.path.join(sys.exec_prefix, "bin"), sys.exec_prefix, os.path.join(sys.prefix, "bin"), sys.prefix]
    if sys.platform == "darwin" and sys.executable:
        folders.insert(0, os.path.join(os.path.dirname(sys.executable), "bin"))  # QGIS.app/Contents/MacOS/bin
    for folder in folders:
        for name in names:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return shutil.which(f"python{major}.{minor}") or shutil.which("python3") or "python3"


def is_externally_managed() -> bool:
    """PEP 668: Debian 12, Ubuntu 23.04+ and others refuse `pip install --user` into their Python."""
    return os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_distributions(exclude_under: str = None) -> dict:
    """{canonical name: (name, version, depends on numpy)} of every distribution the running Python can import,
    the first on sys.path winning as at import; those inside exclude_under (the plugin's own folder) are left out."""
    exclude = os.path.normcase(os.path.realpath(exclude_under)) + os.sep if exclude_under else None
    found = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if not name:
            continue
        location = getattr(distribution, "_path", None)
        if exclude and location is not None and os.path.normcase(os.path.realpath(str(location))).startswith(exclude):
            continue
        key = canonical_name(name)
        if key in found:
            continue
        requires = distribution.requires or []
        uses_numpy = any(canonical_name(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0]) == "numpy"
                         for requirement in requires)
        found[key] = (name, distribution.version, uses_numpy)
    return found


def constraints_text(distributions: dict) -> str:
    """A pip constraints file protecting the given installed distributions (see the module docstring):
    numpy first and everything built on numpy pinned exactly, the rest never older than installed."""
    lines = [f"# Written by GeoGAN from {sys.executable} (Python {sys.version.split()[0]}): the packages this Python",
             "# already has. numpy, and what depends on it, stay exactly as they are; nothing goes older.", ""]
    ordered = sorted(distributions.items(), key=lambda item: (item[0] != "numpy", item[0]))
    for key, (name, version, uses_numpy) in ordered:
        if not version or not _VERSION.match(version):
            lines.append(f"# {name} {version!r}: not a version pip understands, left free")
            continue
        exact = key == "numpy" or uses_numpy
        lines.append(f"{key}{'==' if exact else '>='}{version}")
    return "\n".join(lines) + "\n"


def write_constraints(path: str, exclude_under: str = None) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(constraints_text(installed_distributions(exclude_under)))
    return path


def _version_tuple(text: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def nvidia_smi() -> str:
    """nvidia-smi's path, or None. The Windows driver puts it in System32 (older ones under Program Files)."""
    found = shutil.which("nvidia-smi")
    if found or os.name != "nt":
        return found
    for folder in (os.path.join(os.environ.get("SystemRoot", r"C:\Windows"), "System32"),
                   os.path.join(os.environ.get("ProgramFiles", r"C:\Program Files"), "NVIDIA Corporation", "NVSMI")):
        candidate = os.path.join(folder, "nvidia-smi.exe")
        if os.path.isfile(candidate):
            return candidate
    return None


def nvidia_driver_version(timeout: float = 15) -> str:
    """The NVIDIA driver version (e.g. "570.133.20"), or None when there is no NVIDIA driver that answers."""
    executable = nvidia_smi()
    if not executable:
        return None
    try:
        done = subprocess.run([executable, "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    versions = [line.strip() for line in done.stdout.splitlines() if re.match(r"^\d+(\.\d+)+$", line.strip())]
    return versions[0] if done.returncode == 0 and versions else None


def cuda_build_for_driver(driver_version: str, platform: str = sys.platform) -> str:
    """The newest PyTorch CUDA build (e.g. "cu128") this NVIDIA driver runs, or None when it is too old."""
    if not driver_version:
        return None
    driver = _version_tuple(driver_version)
    for build, linux_minimum, windows_minimum in CUDA_BUILDS:
        if driver >= (windows_minimum if platform.startswith("win") else linux_minimum):
            return build
    return None


def torch_index_url(driver_version: str = None, platform: str = sys.platform, force_cpu: bool = False) -> str:
    """The package index to take torch from: a CUDA build matching the driver, else the CPU build on Linux and
    Windows (PyPI's Linux torch would pull gigabytes of CUDA libraries, its Windows torch is CPU-only anyway).
    On macOS PyPI's torch is the one with MPS: None means "pip's default index"."""
    if platform == "darwin":
        return None
    build = None if force_cpu else cuda_build_for_driver(driver_version, platform)
    return PYTORCH_INDEX + (build or "cpu")


def describe_build(driver_version: str, index_url: str) -> str:
    if index_url is None:
        return "the macOS build of PyTorch (Apple GPUs through MPS) from the Python Package Index"
    build = index_url.rstrip("/").rsplit("/", 1)[-1]
    if build == "cpu":
        reason = (f"NVIDIA driver {driver_version} is too old for PyTorch's CUDA builds (update it for GPU training)"
                  if driver_version and not cuda_build_for_driver(driver_version) else
                  "no NVIDIA driver found" if not driver_version else "CPU build asked for")
        return f"the CPU build of PyTorch ({reason})"
    return f"the CUDA build {build} of PyTorch (NVIDIA driver {driver_version})"


def missing_optional_requirements() -> list:
    """Requirements of GeoGAN's optional packages that the running Python cannot import."""
    import importlib.util

    return [requirement for module, requirement in OPTIONAL_REQUIREMENTS.items()
            if importlib.util.find_spec(module) is None]


def staging_folder(folder: str) -> str:
    return folder + ".partial"


def pip_install_command(python: str, target: str, constraints: str, requirements: list, index_url: str = None,
                        extra_pip_args: tuple = ()) -> list:
    """The pip command line (a list, no shell) that installs the requirements into target."""
    command = [python, "-m", "pip", "install", "--target", target, "--constraint", constraints,
               "--prefer-binary", "--no-input", "--disable-pip-version-check", "--progress-bar", "off"]
    if index_url:
        command += ["--index-url", index_url]
    return command + list(extra_pip_args) + list(requirements)


def import_check_command(python: str, folder: str) -> list:
    """A fresh interpreter that adds the folder as the plugin does, imports torch and takes an optimiser step
    (which imports torch._dynamo and through it sympy), as training will."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import torch_installer as t; sys.path.pop(0); "
            "t.add_packages_folder_to_path(sys.argv[2]); import torch; x = torch.zeros(2, requires_grad=True); "
            "o = torch.optim.Adam([x]); x.sum().backward(); o.step(); "
            "print('torch', torch.__version__, 'imports from', torch.__file__)")
    return [python, "-c", code, os.path.dirname(os.path.abspath(__file__)), folder]


def overrides_command(python: str, folder: str) -> list:
    return [python, os.path.abspath(__file__), "overrides", "--folder", folder]


def replace_folder(staging: str, folder: str) -> None:
    """Put the freshly installed staging folder in place of the old one."""
    old = folder + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.isdir(folder):
        os.replace(folder, old)  # fails on Windows while this QGIS has the old torch's DLLs loaded
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)


class InstallPlan:
    """Everything an install needs, decided before pip starts: the dialog and the command line run the same."""

    def __init__(self, folder: str, python: str = None, force_cpu: bool = False, extra_pip_args: tuple = (),
                 requirements: list = None, driver_version: str = "detect"):
        self.folder = os.path.abspath(folder)
        self.python = python or qgis_python_executable()
        self.driver_version = nvidia_driver_version() if driver_version == "detect" else driver_version
        self.index_url = torch_index_url(self.driver_version, force_cpu=force_cpu)
        self.requirements = requirements if requirements is not None else (
            [TORCH_REQUIREMENT] + missing_optional_requirements())
        self.staging = staging_folder(self.folder)
        self.constraints = os.path.join(os.path.dirname(self.folder),
                                        f"constraints-{os.path.basename(self.folder)}.txt")
        self.extra_pip_args = tuple(extra_pip_args)

    def prepare(self) -> None:
        """Write the constraints from the running Python and empty the staging folder."""
        write_constraints(self.constraints, exclude_under=os.path.dirname(self.folder))
        shutil.rmtree(self.staging, ignore_errors=True)
        os.makedirs(self.staging)

    def pip_command(self) -> list:
        # Packages of QGIS's own that torch also needs get copies in the folder; the index must offer them.
        extra = self.extra_pip_args
        if self.index_url and self.index_url.startswith(PYTORCH_INDEX) and "--no-index" not in extra:
            extra = ("--extra-index-url", "https://pypi.org/simple", *extra)
        return pip_install_command(self.python, self.staging, self.constraints, self.requirements, self.index_url,
                                   extra)

    def overrides_command(self) -> list:
        return overrides_command(self.python, self.staging)

    def steps(self) -> list:
        """The commands to run one after the other: pip, the override list, the import check."""
        return [step for step in (self.pip_command(), self.overrides_command(), self.check_command()) if step]

    def check_command(self) -> list:
        """None when torch is not among the requirements (an install of extras only)."""
        if not any(canonical_name(re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0]) == "torch" for r in self.requirements):
            return None
        return import_check_command(self.python, self.staging)

    def finish(self) -> None:
        replace_folder(self.staging, self.folder)

    def abandon(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def summary(self) -> str:
        return (f"Installing {', '.join(self.requirements)} with {self.python}\n"
                f"into {self.folder}\n"
                f"PyTorch build: {describe_build(self.driver_version, self.index_url)}\n"
                f"Constraints (what this Python has, protected): {self.constraints}\n")


def command_line(python: str, folder: str) -> list:
    """The command that installs PyTorch for GeoGAN from a terminal (what the plugin's hints print)."""
    return [python, os.path.abspath(__file__), "install", "--target", folder]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Install PyTorch for GeoGAN into a folder the plugin appends to "
                                                 "sys.path, without changing any package this Python has.")
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="install torch (and matplotlib/scipy if missing) into --target")
    install.add_argument("--target", required=True, help="the plugin's folder, e.g. <QGIS profile>/python/"
                                                         f"{PACKAGES_DIR_NAME}/{python_tag()}")
    install.add_argument("--cpu", action="store_true", help="the CPU build even when an NVIDIA driver is present")
    install.add_argument("--requirement", action="append", help="install these instead of torch and the extras")
    install.add_argument("pip_args", nargs=argparse.REMAINDER, help="after --: extra pip arguments")
    overrides = commands.add_parser("overrides", help="list what in --folder must come before this Python's copy")
    overrides.add_argument("--folder", required=True)
    constraints = commands.add_parser("constraints", help="print the constraints file for this Python")
    constraints.add_argument("--exclude-under", default=None)
    args = parser.parse_args(argv)
    if args.command == "constraints":
        sys.stdout.write(constraints_text(installed_distributions(args.exclude_under)))
        return 0
    if args.command == "overrides":
        for module, why in sorted(write_overrides(args.folder).items()):
            print(f"Taken from GeoGAN's folder in front of this Python's own copy: {module} ({why})")
        return 0
    pip_args = [arg for arg in args.pip_args if arg != "--"]
    plan = InstallPlan(args.target, python=sys.executable, force_cpu=args.cpu, extra_pip_args=pip_args,
                       requirements=args.requirement)
    print(plan.summary(), flush=True)
    plan.prepare()
    for step in plan.steps():
        print("$ " + subprocess.list2cmdline(step), flush=True)
        if subprocess.run(step).returncode != 0:
            plan.abandon()
            print("GeoGAN: the installation failed; nothing was changed.", file=sys.stderr)
            return 1
    plan.finish()
    print(f"GeoGAN: installed into {plan.folder}. Restart QGIS to use it.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
