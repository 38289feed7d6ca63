"""pyrpc-ts: the pyRPC schema as TypeScript, written as the npm package ``@pyrpc/types``."""

from .emit import generate
from .workspace import save_typescript_client, types_dir

__all__ = ["generate", "save_typescript_client", "types_dir"]

__version__ = "2.0.0"
