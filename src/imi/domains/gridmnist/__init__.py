"""GridMNIST (paper 003, §4.1): 2×2 grids of MNIST digits, captioned by one of their digits."""
