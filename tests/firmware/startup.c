/* Start-up of the project's test firmware: the vector table, the reset handler and the default
 * handlers, for the simulated STM32F767ZI and STM32G474RE.
 *
 * The reset handler does what vendor start-up code does before main: FPU access for hard-float
 * builds (CPACR CP10/CP11, as SystemInit does), copy .data from flash, then either newlib's
 * rdimon start (-DUSE_RDIMON: it zeroes .bss, opens the semihosting console, fetches the command
 * line, runs main and exit) or a plain C start (.bss zeroed, constructors, main). */
#include <stdint.h>
#include "chip.h"

extern uint32_t __stack;
extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__;
extern int main(void);
extern void __libc_init_array(void);
extern void _mainCRTStartup(void);

/* The exception number of the last exception that reached a default handler. */
volatile uint32_t unexpected_exception;

void Reset_Handler(void);

/* Any exception without a handler of its own: record it and stop for the debugger. */
void Default_Handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    unexpected_exception = ipsr;
    for (;;) {
        __asm volatile("bkpt #0x01");
    }
}

#define WEAK_DEFAULT __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void MemManage_Handler(void) WEAK_DEFAULT;
void BusFault_Handler(void) WEAK_DEFAULT;
void UsageFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void) WEAK_DEFAULT;
void DebugMon_Handler(void) WEAK_DEFAULT;
void PendSV_Handler(void) WEAK_DEFAULT;
void SysTick_Handler(void) WEAK_DEFAULT;
void UART_IRQHandler(void) WEAK_DEFAULT;

#define IRQ_COUNT 112

typedef void (*vector_t)(void);

/* The range initialisers give every IRQ the default handler; the UART's entry then names its
 * own, on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

__attribute__((section(".isr_vector"), used)) const vector_t vector_table[16 + IRQ_COUNT] = {
    [0] = (vector_t)&__stack,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [7 ... 10] = Default_Handler,
    [11] = SVC_Handler,
    [12] = DebugMon_Handler,
    [13] = Default_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [16 ... 16 + IRQ_COUNT - 1] = Default_Handler,
    [16 + UART_IRQ] = UART_IRQHandler,
};

__attribute__((noreturn)) void Reset_Handler(void)
{
#if defined(__ARM_FP)
    SCB_CPACR |= SCB_CPACR_CP10_CP11_FULL;
    dsb();
    isb();
#endif
    uint32_t *src = &__data_load__;
    for (uint32_t *dst = &__data_start__; dst < &__data_end__;) {
        *dst++ = *src++;
    }
#if defined(USE_RDIMON)
    _mainCRTStartup();
#else
    for (uint32_t *dst = &__bss_start__; dst < &__bss_end__;) {
        *dst++ = 0;
    }
    __libc_init_array();
    main();
#endif
    for (;;) {
        __asm volatile("bkpt #0x02");
    }
}
