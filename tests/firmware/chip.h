/* Register definitions for the project's test firmware, written from the reference manuals'
 * facts (RM0410 for the STM32F767, RM0440 for the STM32G474, the ARMv7-M ARM for the core).
 * Build with -DCHIP_F767 or -DCHIP_G474. Only what the test programs use is here. */
#ifndef CHIP_H
#define CHIP_H

#include <stdint.h>

#define REG32(address) (*(volatile uint32_t *)(address))
#define REG8(address) (*(volatile uint8_t *)(address))

/* ---- Cortex-M system control space (ARMv7-M ARM B3.2, B3.3, B3.4, C1) ---- */
#define SYST_CSR REG32(0xE000E010)
#define SYST_RVR REG32(0xE000E014)
#define SYST_CVR REG32(0xE000E018)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)
#define SYST_CSR_COUNTFLAG (1u << 16)

#define NVIC_ISER(n) REG32(0xE000E100 + 4 * (n))
#define NVIC_ICER(n) REG32(0xE000E180 + 4 * (n))
#define NVIC_ISPR(n) REG32(0xE000E200 + 4 * (n))
#define NVIC_IPR(n) REG8(0xE000E400 + (n))

#define SCB_CPUID REG32(0xE000ED00)
#define SCB_ICSR REG32(0xE000ED04)
#define SCB_VTOR REG32(0xE000ED08)
#define SCB_AIRCR REG32(0xE000ED0C)
#define SCB_SCR REG32(0xE000ED10)
#define SCB_CCR REG32(0xE000ED14)
#define SCB_SHPR(n) REG8(0xE000ED18 + (n)) /* system handler n + 4 */
#define SCB_SHCSR REG32(0xE000ED24)
#define SCB_CFSR REG32(0xE000ED28)
#define SCB_CPACR REG32(0xE000ED88)
#define SCB_ICSR_PENDSVSET (1u << 28)
#define SCB_AIRCR_VECTKEY (0x05FAu << 16)
#define SCB_AIRCR_PRIGROUP_MASK (7u << 8)
#define SCB_AIRCR_SYSRESETREQ (1u << 2)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)
#define SCB_CPACR_CP10_CP11_FULL (0xFu << 20)

/* Cortex-M7 cache identification and maintenance (ARMv7-M ARM B4.8, Cortex-M7 TRM). */
#define SCB_CCSIDR REG32(0xE000ED80)
#define SCB_CSSELR REG32(0xE000ED84)
#define SCB_ICIALLU REG32(0xE000EF50)
#define SCB_DCISW REG32(0xE000EF60)

#define DEMCR REG32(0xE000EDFC)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG32(0xE0001000)
#define DWT_CYCCNT REG32(0xE0001004)
#define DWT_LAR REG32(0xE0001FB0)
#define DWT_CTRL_CYCCNTENA (1u << 0)

/* Exception numbers (ARMv7-M ARM B1.5.2). */
#define SVCALL_PRIORITY_INDEX (11 - 4)
#define PENDSV_PRIORITY_INDEX (14 - 4)
#define SYSTICK_PRIORITY_INDEX (15 - 4)

static inline void dsb(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void isb(void) { __asm volatile("isb 0xF" ::: "memory"); }
static inline void wfi(void) { __asm volatile("wfi"); }
static inline void enable_interrupts(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void disable_interrupts(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void set_basepri(uint32_t value) { __asm volatile("msr basepri, %0" ::"r"(value) : "memory"); }
static inline uint32_t get_basepri(void)
{
    uint32_t value;
    __asm volatile("mrs %0, basepri" : "=r"(value));
    return value;
}

/* ---- Chip peripherals ---- */
#if defined(CHIP_F767)

#define CORE_CLOCK_RESET_HZ 16000000u
#define UART_IRQ 39 /* USART3 */

#define RCC_BASE 0x40023800u
#define RCC_CR REG32(RCC_BASE + 0x00)
#define RCC_PLLCFGR REG32(RCC_BASE + 0x04)
#define RCC_CFGR REG32(RCC_BASE + 0x08)
#define RCC_AHB1ENR REG32(RCC_BASE + 0x30)
#define RCC_APB1ENR REG32(RCC_BASE + 0x40)
#define RCC_APB2ENR REG32(RCC_BASE + 0x44)
#define RCC_CSR REG32(RCC_BASE + 0x74)
#define RCC_DCKCFGR2 REG32(RCC_BASE + 0x90)
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_PLLM_POS 0
#define RCC_PLLCFGR_PLLN_POS 6
#define RCC_PLLCFGR_PLLP_POS 16
#define RCC_PLLCFGR_PLLSRC_HSE (1u << 22)
#define RCC_PLLCFGR_PLLQ_POS 24
#define RCC_PLLCFGR_PLLR_POS 28
#define RCC_CFGR_SW_MASK 3u
#define RCC_CFGR_SW_PLL 2u
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_CFGR_HPRE_POS 4
#define RCC_CFGR_PPRE1_POS 10
#define RCC_CFGR_PPRE2_POS 13
#define RCC_AHB1ENR_GPIOBEN (1u << 1)
#define RCC_AHB1ENR_GPIODEN (1u << 3)
#define RCC_APB1ENR_USART3EN (1u << 18)
#define RCC_APB1ENR_PWREN (1u << 28)

#define PWR_CR1 REG32(0x40007000)
#define PWR_CSR1 REG32(0x40007004)
#define PWR_CR1_VOS_SCALE1 (3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)

#define FLASH_ACR REG32(0x40023C00)
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ARTEN (1u << 9)

#define LED_GPIO_BASE 0x40020400u /* GPIOB: LD1 on PB0 (NUCLEO-F767ZI) */
#define LED_PIN 0
#define UART_GPIO_BASE 0x40020C00u /* GPIOD: USART3 TX PD8, RX PD9 (AF7) */
#define UART_TX_PIN 8
#define UART_RX_PIN 9
#define UART_AF 7
#define UART_BASE 0x40004800u /* USART3 */

#elif defined(CHIP_G474)

#define CORE_CLOCK_RESET_HZ 16000000u
#define UART_IRQ 91 /* LPUART1 */

#define RCC_BASE 0x40021000u
#define RCC_CR REG32(RCC_BASE + 0x00)
#define RCC_ICSCR REG32(RCC_BASE + 0x04)
#define RCC_CFGR REG32(RCC_BASE + 0x08)
#define RCC_PLLCFGR REG32(RCC_BASE + 0x0C)
#define RCC_AHB2ENR REG32(RCC_BASE + 0x4C)
#define RCC_APB1ENR1 REG32(RCC_BASE + 0x58)
#define RCC_APB1ENR2 REG32(RCC_BASE + 0x5C)
#define RCC_APB2ENR REG32(RCC_BASE + 0x60)
#define RCC_CCIPR REG32(RCC_BASE + 0x88)
#define RCC_CSR REG32(RCC_BASE + 0x94)
#define RCC_CR_HSION (1u << 8)
#define RCC_CR_HSIRDY (1u << 10)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_PLLSRC_HSI 2u
#define RCC_PLLCFGR_PLLM_POS 4
#define RCC_PLLCFGR_PLLN_POS 8
#define RCC_PLLCFGR_PLLREN (1u << 24)
#define RCC_PLLCFGR_PLLR_POS 25
#define RCC_CFGR_SW_MASK 3u
#define RCC_CFGR_SW_PLL 3u
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (3u << 2)
#define RCC_CFGR_HPRE_POS 4
#define RCC_CFGR_HPRE_MASK (0xFu << 4)
#define RCC_CFGR_HPRE_DIV2 (8u << 4)
#define RCC_AHB2ENR_GPIOAEN (1u << 0)
#define RCC_APB1ENR1_PWREN (1u << 28)
#define RCC_APB1ENR2_LPUART1EN (1u << 0)
#define RCC_APB2ENR_SYSCFGEN (1u << 0)

#define PWR_CR1 REG32(0x40007000)
#define PWR_CR3 REG32(0x40007008)
#define PWR_SR2 REG32(0x40007014)
#define PWR_CR5 REG32(0x40007080)
#define PWR_CR3_UCPD_DBDIS (1u << 14)
#define PWR_CR5_R1MODE (1u << 8)

#define FLASH_ACR REG32(0x40022000)
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

#define LED_GPIO_BASE 0x48000000u /* GPIOA: LD2 on PA5 (NUCLEO-G474RE) */
#define LED_PIN 5
#define UART_GPIO_BASE 0x48000000u /* GPIOA: LPUART1 TX PA2, RX PA3 (AF12) */
#define UART_TX_PIN 2
#define UART_RX_PIN 3
#define UART_AF 12
#define UART_BASE 0x40008000u /* LPUART1 */

#else
#error "build with -DCHIP_F767 or -DCHIP_G474"
#endif

/* ST GPIO (the same register block on both families). */
#define GPIO_MODER(base) REG32((base) + 0x00)
#define GPIO_OSPEEDR(base) REG32((base) + 0x08)
#define GPIO_IDR(base) REG32((base) + 0x10)
#define GPIO_ODR(base) REG32((base) + 0x14)
#define GPIO_BSRR(base) REG32((base) + 0x18)
#define GPIO_AFR(base, n) REG32((base) + 0x20 + 4 * (n))

/* ST USART / LPUART (USART3 on F7, LPUART1 on G4: the same registers up to PRESC). */
#define UART_CR1 REG32(UART_BASE + 0x00)
#define UART_CR3 REG32(UART_BASE + 0x08)
#define UART_BRR REG32(UART_BASE + 0x0C)
#define UART_ISR REG32(UART_BASE + 0x1C)
#define UART_ICR REG32(UART_BASE + 0x20)
#define UART_RDR REG32(UART_BASE + 0x24)
#define UART_TDR REG32(UART_BASE + 0x28)
#define UART_CR1_UE (1u << 0)
#define UART_CR1_RE (1u << 2)
#define UART_CR1_TE (1u << 3)
#define UART_CR1_RXNEIE (1u << 5)
#define UART_ISR_ORE (1u << 3)
#define UART_ISR_RXNE (1u << 5)
#define UART_ISR_TC (1u << 6)
#define UART_ISR_TXE (1u << 7)
#define UART_ISR_TEACK (1u << 21)
#define UART_ISR_REACK (1u << 22)
#define UART_ICR_ORECF (1u << 3)

#endif
