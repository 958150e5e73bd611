import PalsCLI

PalsCommand.runMain()
