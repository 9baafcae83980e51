"""Run the command line as ``python -m offer_render``: take argv, exit with offer-render's code."""

from offer_render.cli.main import main

if __name__ == "__main__":
    main()
