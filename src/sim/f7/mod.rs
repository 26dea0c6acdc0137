//! The STM32F76x/F77x boot peripherals: RCC ([`rcc`]), PWR ([`pwr`]), SYSCFG ([`syscfg`]) and
//! their map on the bus with the shared GPIO and USART IP ([`peripherals`]). The rest of the F7
//! model is the memory map in [`super::bus`] and the FLASH controller in [`super::flash`].

pub mod peripherals;
pub mod pwr;
pub mod rcc;
pub mod syscfg;

pub use peripherals::F7Peripherals;
