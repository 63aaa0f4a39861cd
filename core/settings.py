"""The settings of one training run: saved as plain data inside every checkpoint.

By default one GAN learns tiles of the training rasters. With `cascade`, training has two stages
instead (experimental, see bench/RESULTS.md): a coarse GAN learns the training rasters downsampled by
`coarse_factor`, so one of its tiles spans whole catchments; a refinement GAN learns to add
full-resolution detail to the upsampled coarse relief. Both use the same ModelConfig.
"""

from dataclasses import asdict, dataclass, field

from .errors import InputError


@dataclass
class ModelConfig:
    """Shape of the generator and discriminator; enough to rebuild them from a checkpoint."""

    latent_channels: int = 32
    # Generator channels from the coarsest (1/8 of the tile) to the full resolution.
    generator_channels: tuple = (128, 64, 32, 16)
    # Discriminator channels from the full resolution down to 1/16 of the tile.
    discriminator_channels: tuple = (16, 32, 64, 128, 128)
    # Tiles per group in the discriminator's minibatch-spread feature (0: off).
    minibatch_std_group: int = 4
    # Void filling's U-Net: channels from the full resolution down to 1/16 of the tile.
    unet_channels: tuple = (16, 32, 64, 128, 128)
    # The discriminator also sees how deep each cell lies in a closed depression: slope and curvature alone let
    # a generator make pitted texture (bench/RESULTS.md). Models saved before this option existed lack it.
    discriminator_depressions: bool = True
    # The smooth guess void filling's U-Net corrects: "spline" (core.spline) or "pull_push" (core.models), which
    # models saved before the spline existed were trained with.
    fill_guess: str = "spline"

    @property
    def upsampling_factor(self) -> int:
        return 2 ** (len(self.generator_channels) - 1)

    @property
    def downsampling_factor(self) -> int:
        return 2 ** (len(self.discriminator_channels) - 1)


@dataclass
class TrainSettings:
    tile_size: int = 64
    iterations: int = 3000
    batch_size: int = 16
    seed: int = 0
    band: int = 1
    device: str = "auto"
    learning_rate: float = 0.0002
    discriminator_learning_rate: float = 0.0004
    r1_gamma: float = 0.05
    r1_every: int = 4
    ema_half_life_tiles: int = 5000
    max_nodata_fraction: float = 0.01
    # Training tiles of a single GAN (and of the cascade's coarse stage) are cut from the middle of a canvas this
    # many latent cells (8 px each with the default networks) wider on every side, as generated rasters are: tiles
    # made edge to edge let the generator lean on the zero padding, and it then made 13 % less relief in generated
    # rasters than in training (bench/RESULTS.md). Each cell costs generator time: 2 cells make its canvas 2.25
    # times the tile.
    margin_cells: int = 2
    # Experimental: the discriminator's features (the depression channel above all) also see that margin around the
    # tile, filled over the whole canvas, and real tiles come with the same rim. Off: on the landscape benchmark it
    # left closed depressions as they were with 2 cells (18.1 % against 17.8 %) and lowered them to 14.2 % with 4,
    # but a classifier told 64 px windows from real ones far more easily (0.91 and 0.83 against 0.66; RESULTS.md).
    discriminator_context: bool = False
    # How often a single GAN's training saves the model so far (minutes), so a crash loses little.
    checkpoint_minutes: float = 10.0
    # Two-stage coarse-to-fine training. Off by default: on the landscape benchmark it left 11.5 % of the area in
    # closed depressions against the single GAN's 17.8 %, and a classifier told 128 px windows from real ones less
    # easily (0.66 against 0.72), but 64 px windows about as easily (0.69 against 0.66), its slope and curvature
    # were further from real (old score 9.1 against 5.2), and each was measured with one seed (bench/RESULTS.md).
    cascade: bool = False
    # Coarse stage: rasters averaged over coarse_factor x coarse_factor pixels, tiles of coarse_tile_size
    # coarse pixels (32 x 4 = 128 full-resolution pixels per tile: valleys joining over whole catchments).
    coarse_factor: int = 4
    coarse_tile_size: int = 32
    # Weight of the loss on closed depressions deeper than real terrain's (both stages; core.losses). Off: with the
    # discriminators' depression channel alone the cascade had fewer closed depressions (11.5 % against 14.6 % at
    # weight 50) and a classifier told its terrain from real terrain far less easily (0.69 against 0.97 at 64 px):
    # the loss carves straight, grid-aligned trenches (bench/RESULTS.md).
    depression_weight: float = 0.0
    # Weight of the loss that keeps the refined relief, averaged back to the coarse grid, on the coarse relief.
    consistency_weight: float = 10.0
    model: ModelConfig = field(default_factory=ModelConfig)

    @property
    def context_pixels(self) -> int:
        """Pixels around each training tile that a single GAN's discriminator features see (0: none)."""
        if self.cascade or not self.discriminator_context:
            return 0
        return self.margin_cells * self.model.upsampling_factor

    @property
    def minimum_raster_side(self) -> int:
        """The smallest width and height a training raster may have: one tile with its context (cascade: one
        coarse tile at full resolution)."""
        if not self.cascade:
            return self.tile_size + 2 * self.context_pixels
        return max(self.tile_size, self.coarse_tile_size * self.coarse_factor)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["model"] = {k: list(v) if isinstance(v, tuple) else v for k, v in data["model"].items()}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TrainSettings":
        data = {"discriminator_context": False, **data}  # older models: trained without context
        # Older models: no depression channel, and void filling from the pull-push guess.
        saved = {"discriminator_depressions": False, "fill_guess": "pull_push", **data.pop("model")}
        model = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()})
        return cls(model=model, **data)

    def validate(self) -> None:
        """Raise ValueError with a sentence a user can act on."""
        factor = max(self.model.upsampling_factor, self.model.downsampling_factor)
        if self.iterations < 1:
            raise InputError("The number of iterations must be at least 1 (a few thousand trains a useful model).")
        if self.batch_size < 1:
            raise InputError("The batch size must be at least 1 (16 is a good start on a CPU).")
        if self.margin_cells < 0:
            raise InputError(f"The training margin must be 0 or more latent cells (got {self.margin_cells}); "
                             f"2 is the default.")
        if self.tile_size < 2 * factor or self.tile_size % factor:
            raise InputError(
                f"The tile size must be a multiple of {factor} and at least {2 * factor} pixels "
                f"(got {self.tile_size}); 64 is a good default."
            )
        if self.cascade:
            self._validate_cascade(factor)
        if self.band < 1:
            raise InputError(f"Band numbers start at 1 (got {self.band}).")

    def _validate_cascade(self, factor: int) -> None:
        if self.coarse_factor not in (2, 4, 8):
            raise InputError(f"The coarse factor must be 2, 4 or 8 (got {self.coarse_factor}); 4 is the default.")
        if self.coarse_tile_size < 2 * factor or self.coarse_tile_size % factor:
            raise InputError(f"The coarse tile size must be a multiple of {factor} and at least {2 * factor} "
                             f"(got {self.coarse_tile_size}); 32 is the default.")
        if self.tile_size % self.coarse_factor:
            raise InputError(f"The tile size must be a multiple of the coarse factor {self.coarse_factor} "
                             f"(got {self.tile_size}).")


def _conditional_model() -> ModelConfig:
    # The conditional GANs' discriminators were measured without the depression channel (it costs an exact fill of
    # every tile the discriminator sees): bench/RESULTS.md, issue 10.
    return ModelConfig(discriminator_depressions=False)


@dataclass
class FillSettings(TrainSettings):
    """Learning to fill voids (geogan:trainfill): holes cut in complete real tiles, filled from what surrounds them.

    Holes have sides from min_hole_size to half the tile, so a model fills voids up to half its tile size."""

    tile_size: int = 128
    batch_size: int = 8
    # On held-out voids of the sample DEM, the trained network fills about as well as the spline it starts from
    # (core.spline; RMSE within 3 % of it at 1000 steps); more steps are cheap insurance, not a measured gain.
    iterations: int = 1000
    # Weight of the pixel loss inside the holes (normalised relief) against the adversarial loss (1): 1000 gave
    # slightly lower errors than 100 there (RMSE 41/55/83 m against 42/56/83 m for 16/32/64 px voids).
    reconstruction_weight: float = 1000.0
    min_hole_size: int = 4
    model: ModelConfig = field(default_factory=_conditional_model)

    @property
    def largest_void(self) -> int:
        """The largest void side (pixels, bounding box) the model learned to fill."""
        return self.tile_size // 2

    def validate(self) -> None:
        super().validate()
        if self.cascade:
            raise InputError("Void filling has no two-stage training; leave the cascade option off.")


@dataclass
class SuperResolutionSettings(TrainSettings):
    """Learning to sharpen coarse DEMs (geogan:trainsuperres): tiles block-averaged over factor x factor pixels,
    refined back to full resolution (the cascade's refinement stage, applied to real coarse relief)."""

    tile_size: int = 64
    # It learns fast: on the sample DEM, 4x RMSE at 400 steps is within 1 % of that at 1500.
    iterations: int = 800
    factor: int = 4
    # Higher weights buy a lower RMSE with less fine detail: on held-out sample terrain at 4x, weight 100 gave 0.81 x
    # bicubic's RMSE with 87 % of the real fine-scale relief, 300 gave 0.75 x with 70 %, 1000 gave 0.74 x with 60 %.
    reconstruction_weight: float = 300.0
    model: ModelConfig = field(default_factory=_conditional_model)

    def validate(self) -> None:
        super().validate()
        if self.factor not in SUPER_RESOLUTION_FACTORS:
            raise InputError(f"The factor must be 2, 4 or 8 (got {self.factor}); 4 is the default.")
        if self.cascade:
            raise InputError("Super-resolution has no two-stage training; leave the cascade option off.")


SUPER_RESOLUTION_FACTORS = (2, 4, 8)
