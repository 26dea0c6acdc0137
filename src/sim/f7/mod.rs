//! The simulated STM32F76x/F77x and F74x/F75x: the model below the private peripheral bus
//! ([`model`]: the memory map, with the FLASH controller, array, OTP and option store of
//! [`flash`] and its own sector tables in [`geometry`]), the boot peripherals RCC ([`rcc`]), PWR
//! ([`pwr`]), SYSCFG ([`syscfg`]) and their map with the shared GPIO and USART IP
//! ([`peripherals`]), and the family as the simulator registers it ([`family`]: part names,
//! the Cortex-M7 core, the state file).

pub mod family;
pub mod flash;
pub mod geometry;
pub mod model;
pub mod peripherals;
pub mod pwr;
pub mod rcc;
pub mod syscfg;

pub use family::{has_ndbank, F7Sim, F7, FAMILY};
pub use flash::{Flash, FlashFaults, OptionStore, Timing};
pub use model::F7Model;
pub use peripherals::F7Peripherals;
