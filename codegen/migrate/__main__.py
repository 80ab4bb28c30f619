"""`python -m codegen.migrate`: the older spelling of `codegen migrate`, kept for scripts."""

from codegen.migrate.cli import main

raise SystemExit(main())
