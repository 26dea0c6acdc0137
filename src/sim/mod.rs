//! A simulated STM32F76x/F77x that probe-rs drives like a real board.
