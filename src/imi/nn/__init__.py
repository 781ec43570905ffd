"""Network building blocks shared by systems: the CNN and LSTM encoders, the DCGAN generator,
the matching-aware discriminator and the GAN loss terms. No training logic."""
