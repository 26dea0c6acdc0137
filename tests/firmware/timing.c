/* Two things a boot path relies on: the cycle counter counts (DWT_CYCCNT with DEMCR.TRCENA, the
 * Cortex-M7's DWT lock opened as CMSIS does), and a firmware-initiated reset (AIRCR.SYSRESETREQ,
 * as NVIC_SystemReset writes it) resets the chip and boots again. A boot counter in a .noinit
 * RAM section (not cleared by the start-up code) counts the boots; after the third boot the
 * program counts cycle-timed delays for ever.
 *
 * The test reads `boots`, `reset_flags` (RCC_CSR as the last boot found it) and `delays`, and
 * the measured cycles of one delay. */
#include <stdint.h>
#include "chip.h"

#define BOOT_MAGIC 0xB007C0DEu
#define DELAY_CYCLES 200000u

struct boot_record {
    uint32_t magic;
    uint32_t boots;
};

__attribute__((section(".noinit"))) struct boot_record boot_record;

volatile uint32_t boots;
volatile uint32_t reset_flags;
volatile uint32_t delays;
volatile uint32_t last_delay_cycles;

__attribute__((noreturn)) static void system_reset(void)
{
    dsb();
    SCB_AIRCR = SCB_AIRCR_VECTKEY | (SCB_AIRCR & SCB_AIRCR_PRIGROUP_MASK) | SCB_AIRCR_SYSRESETREQ;
    dsb();
    for (;;) {
        __asm volatile("nop");
    }
}

/* Called once the boots are done, before the delays start: a place for a breakpoint. */
__attribute__((noinline)) void boots_done(void) { __asm volatile(""); }

/* Called after every delay. */
__attribute__((noinline)) void delay_done(void) { __asm volatile(""); }

int main(void)
{
    if (boot_record.magic != BOOT_MAGIC) {
        boot_record.magic = BOOT_MAGIC;
        boot_record.boots = 0;
    }
    boot_record.boots++;
    boots = boot_record.boots;
    reset_flags = RCC_CSR;
    if (boot_record.boots < 3) {
        system_reset();
    }
    boots_done();
    DEMCR |= DEMCR_TRCENA;
#if defined(CHIP_F767)
    DWT_LAR = 0xC5ACCE55; /* the Cortex-M7 DWT's software lock */
#endif
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
    for (;;) {
        uint32_t start = DWT_CYCCNT;
        while (DWT_CYCCNT - start < DELAY_CYCLES) {
        }
        last_delay_cycles = DWT_CYCCNT - start;
        delays++;
        delay_done();
    }
}
