from protokit.cli import run

run()
