/* The vendor-style clock start-up to the chip's maximum clock, then a 1 ms SysTick, a delay and a
 * blinking LED — what nearly every STM32 project runs first.
 *
 * STM32F767: HSI 16 MHz -> PLL (M = 8, N = 216, P = 2) = 216 MHz, voltage scale 1 with
 * over-drive, 7 flash wait states, APB1 /4, APB2 /2, then the instruction and data caches.
 * STM32G474: HSI 16 MHz -> PLL (M = 4, N = 85, R = 2) = 170 MHz in range 1 boost mode, 4 wait
 * states, the AHB /2 step while switching and a ~1 us wait on DWT_CYCCNT, as generated code does.
 *
 * Every wait is bounded: a flag that never comes sets `clock_error` to the step's number and
 * stops at a BKPT. The test reads `system_core_clock`, `ticks` and the LED's ODR bit. */
#include <stdint.h>
#include "chip.h"

volatile uint32_t clock_error;
volatile uint32_t system_core_clock = CORE_CLOCK_RESET_HZ;
volatile uint32_t ticks;
volatile uint32_t toggles;

#define WAIT_LIMIT 1000000u

static void fail(uint32_t step)
{
    clock_error = step;
    for (;;) {
        __asm volatile("bkpt #0x10");
    }
}

/* Waits until (*reg & mask) == value, or fails with `step`. */
static void wait_for(volatile uint32_t *reg, uint32_t mask, uint32_t value, uint32_t step)
{
    for (uint32_t n = 0; (*reg & mask) != value; n++) {
        if (n == WAIT_LIMIT) {
            fail(step);
        }
    }
}

#if defined(CHIP_F767)
static void enable_caches(void)
{
    /* Instruction cache: invalidate all, then enable (ARMv7-M B2.2.7, Cortex-M7 TRM). */
    dsb();
    isb();
    SCB_ICIALLU = 0;
    dsb();
    isb();
    SCB_CCR |= SCB_CCR_IC;
    dsb();
    isb();
    /* Data cache: select it, invalidate every set and way, then enable. */
    SCB_CSSELR = 0;
    dsb();
    uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = ((ccsidr >> 13) & 0x7FFF) + 1;
    uint32_t ways = ((ccsidr >> 3) & 0x3FF) + 1;
    for (uint32_t set = 0; set < sets; set++) {
        for (uint32_t way = 0; way < ways; way++) {
            SCB_DCISW = (way << 30) | (set << 5);
        }
    }
    dsb();
    SCB_CCR |= SCB_CCR_DC;
    dsb();
    isb();
}

static void clock_setup(void)
{
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    (void)RCC_APB1ENR;
    PWR_CR1 = (PWR_CR1 & ~(3u << 14)) | PWR_CR1_VOS_SCALE1;
    (void)PWR_CR1;
    RCC_CR |= RCC_CR_HSION;
    wait_for(&RCC_CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY, 1);
    RCC_CR &= ~RCC_CR_PLLON;
    wait_for(&RCC_CR, RCC_CR_PLLRDY, 0, 2);
    RCC_PLLCFGR = (8u << RCC_PLLCFGR_PLLM_POS) | (216u << RCC_PLLCFGR_PLLN_POS) |
                  (0u << RCC_PLLCFGR_PLLP_POS) | (9u << RCC_PLLCFGR_PLLQ_POS) |
                  (2u << RCC_PLLCFGR_PLLR_POS);
    RCC_CR |= RCC_CR_PLLON;
    wait_for(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY, 3);
    PWR_CR1 |= PWR_CR1_ODEN;
    wait_for(&PWR_CSR1, PWR_CSR1_ODRDY, PWR_CSR1_ODRDY, 4);
    PWR_CR1 |= PWR_CR1_ODSWEN;
    wait_for(&PWR_CSR1, PWR_CSR1_ODSWRDY, PWR_CSR1_ODSWRDY, 5);
    FLASH_ACR = (FLASH_ACR & ~FLASH_ACR_LATENCY_MASK) | 7u | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN;
    if ((FLASH_ACR & FLASH_ACR_LATENCY_MASK) != 7u) {
        fail(6);
    }
    RCC_CFGR = (RCC_CFGR & ~((0xFu << RCC_CFGR_HPRE_POS) | (7u << RCC_CFGR_PPRE1_POS) |
                             (7u << RCC_CFGR_PPRE2_POS))) |
               (5u << RCC_CFGR_PPRE1_POS) | (4u << RCC_CFGR_PPRE2_POS);
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
    wait_for(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL, 7);
}
#elif defined(CHIP_G474)
static void delay_cycles(uint32_t cycles)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
    for (uint32_t n = 0; DWT_CYCCNT < cycles; n++) {
        if (n == WAIT_LIMIT) {
            fail(8);
        }
    }
}

static void clock_setup(void)
{
    RCC_APB2ENR |= RCC_APB2ENR_SYSCFGEN;
    (void)RCC_APB2ENR;
    RCC_APB1ENR1 |= RCC_APB1ENR1_PWREN;
    (void)RCC_APB1ENR1;
    PWR_CR3 |= PWR_CR3_UCPD_DBDIS;
    FLASH_ACR = (FLASH_ACR & ~FLASH_ACR_LATENCY_MASK) | 4u;
    if ((FLASH_ACR & FLASH_ACR_LATENCY_MASK) != 4u) {
        fail(6);
    }
    PWR_CR5 &= ~PWR_CR5_R1MODE; /* range 1 boost */
    RCC_CR |= RCC_CR_HSION;
    wait_for(&RCC_CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY, 1);
    RCC_ICSCR = (RCC_ICSCR & ~(0x7Fu << 24)) | (64u << 24);
    RCC_PLLCFGR = RCC_PLLCFGR_PLLSRC_HSI | (3u << RCC_PLLCFGR_PLLM_POS) |
                  (85u << RCC_PLLCFGR_PLLN_POS) | (0u << RCC_PLLCFGR_PLLR_POS);
    RCC_PLLCFGR |= RCC_PLLCFGR_PLLREN;
    RCC_CR |= RCC_CR_PLLON;
    wait_for(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY, 3);
    /* Above 80 MHz the switch goes through AHB /2 for a microsecond. */
    RCC_CFGR = (RCC_CFGR & ~(RCC_CFGR_SW_MASK | RCC_CFGR_HPRE_MASK)) | RCC_CFGR_SW_PLL |
               RCC_CFGR_HPRE_DIV2;
    wait_for(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL, 7);
    delay_cycles(100);
    RCC_CFGR &= ~RCC_CFGR_HPRE_MASK;
}
#endif

/* SystemCoreClock as the vendor's clock driver computes it from the RCC registers. */
static uint32_t core_clock_from_rcc(void)
{
    if ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL) {
        return CORE_CLOCK_RESET_HZ;
    }
#if defined(CHIP_F767)
    uint32_t cfg = RCC_PLLCFGR;
    uint32_t m = cfg & 0x3F;
    uint32_t n = (cfg >> RCC_PLLCFGR_PLLN_POS) & 0x1FF;
    uint32_t p = (((cfg >> RCC_PLLCFGR_PLLP_POS) & 3) + 1) * 2;
    return CORE_CLOCK_RESET_HZ / m * n / p;
#else
    uint32_t cfg = RCC_PLLCFGR;
    uint32_t m = ((cfg >> RCC_PLLCFGR_PLLM_POS) & 0xF) + 1;
    uint32_t n = (cfg >> RCC_PLLCFGR_PLLN_POS) & 0x7F;
    uint32_t r = (((cfg >> RCC_PLLCFGR_PLLR_POS) & 3) + 1) * 2;
    return CORE_CLOCK_RESET_HZ / m * n / r;
#endif
}

void SysTick_Handler(void) { ticks++; }

static void delay_ms(uint32_t ms)
{
    uint32_t start = ticks;
    while (ticks - start < ms) {
        wfi();
    }
}

/* Called at every LED toggle: a place for the debugger's breakpoint. */
__attribute__((noinline)) void led_toggled(void) { __asm volatile(""); }

/* Called once the clock runs at full speed. */
__attribute__((noinline)) void clock_ready(void) { __asm volatile(""); }

int main(void)
{
    clock_setup();
    system_core_clock = core_clock_from_rcc();
#if defined(CHIP_F767)
    enable_caches();
#endif
    SCB_SHPR(SYSTICK_PRIORITY_INDEX) = 0xF0;
    SYST_RVR = system_core_clock / 1000 - 1;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    clock_ready();
#if defined(CHIP_F767)
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOBEN;
    (void)RCC_AHB1ENR;
#else
    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOAEN;
    (void)RCC_AHB2ENR;
#endif
    GPIO_MODER(LED_GPIO_BASE) = (GPIO_MODER(LED_GPIO_BASE) & ~(3u << (2 * LED_PIN))) |
                                (1u << (2 * LED_PIN));
    for (;;) {
        delay_ms(10);
        if (GPIO_ODR(LED_GPIO_BASE) & (1u << LED_PIN)) {
            GPIO_BSRR(LED_GPIO_BASE) = 1u << (LED_PIN + 16);
        } else {
            GPIO_BSRR(LED_GPIO_BASE) = 1u << LED_PIN;
        }
        toggles++;
        led_toggled();
    }
}
