/* printf through the Nucleo board's virtual COM port UART (USART3 on the NUCLEO-F767ZI, LPUART1
 * on the NUCLEO-G474RE) at 115200 baud from the 16 MHz reset clock, then an echo of every byte
 * received: polled, or (-DUART_INTERRUPTS) from the UART's receive interrupt through a ring
 * buffer, as the two kinds of driver do. */
#include <stdint.h>
#include <stdio.h>
#include "chip.h"

#define BAUD 115200u

volatile uint32_t received;
volatile uint32_t overruns;

static void uart_putc(char c)
{
    while (!(UART_ISR & UART_ISR_TXE)) {
    }
    UART_TDR = (uint8_t)c;
}

/* newlib's write hook: stdout and stderr go to the UART. */
int _write(int fd, const char *data, int len)
{
    (void)fd;
    for (int i = 0; i < len; i++) {
        uart_putc(data[i]);
    }
    while (!(UART_ISR & UART_ISR_TC)) {
    }
    return len;
}

static void uart_init(void)
{
#if defined(CHIP_F767)
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIODEN;
    RCC_APB1ENR |= RCC_APB1ENR_USART3EN;
    (void)RCC_APB1ENR;
    /* USART3 kernel clock: PCLK1 (RCC_DCKCFGR2.USART3SEL = 0, the reset value). */
    UART_BRR = (CORE_CLOCK_RESET_HZ + BAUD / 2) / BAUD;
#else
    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOAEN;
    RCC_APB1ENR2 |= RCC_APB1ENR2_LPUART1EN;
    (void)RCC_APB1ENR2;
    /* LPUART: BRR = 256 * f / baud (RM0440), PCLK1 = 16 MHz. */
    UART_BRR = (uint32_t)(((uint64_t)CORE_CLOCK_RESET_HZ * 256u + BAUD / 2) / BAUD);
#endif
    for (int pin = UART_TX_PIN; pin <= UART_RX_PIN; pin++) {
        GPIO_MODER(UART_GPIO_BASE) = (GPIO_MODER(UART_GPIO_BASE) & ~(3u << (2 * pin))) |
                                     (2u << (2 * pin));
        uint32_t afr = pin / 8, shift = 4 * (pin % 8);
        GPIO_AFR(UART_GPIO_BASE, afr) = (GPIO_AFR(UART_GPIO_BASE, afr) & ~(0xFu << shift)) |
                                        ((uint32_t)UART_AF << shift);
    }
    UART_CR1 = UART_CR1_TE | UART_CR1_RE | UART_CR1_UE;
    while ((UART_ISR & (UART_ISR_TEACK | UART_ISR_REACK)) != (UART_ISR_TEACK | UART_ISR_REACK)) {
    }
}

#if defined(UART_INTERRUPTS)
#define RING 64
static volatile uint8_t ring[RING];
static volatile uint32_t ring_head, ring_tail;

void UART_IRQHandler(void)
{
    if (UART_ISR & UART_ISR_ORE) {
        UART_ICR = UART_ICR_ORECF;
        overruns++;
    }
    while (UART_ISR & UART_ISR_RXNE) {
        uint8_t byte = (uint8_t)UART_RDR;
        if (ring_head - ring_tail < RING) {
            ring[ring_head % RING] = byte;
            ring_head++;
        }
    }
}

static int next_byte(void)
{
    while (ring_head == ring_tail) {
        wfi();
    }
    uint8_t byte = ring[ring_tail % RING];
    ring_tail++;
    return byte;
}
#else
static int next_byte(void)
{
    for (;;) {
        uint32_t isr = UART_ISR;
        if (isr & UART_ISR_ORE) {
            UART_ICR = UART_ICR_ORECF;
            overruns++;
        }
        if (isr & UART_ISR_RXNE) {
            return (uint8_t)UART_RDR;
        }
    }
}
#endif

int main(void)
{
    uart_init();
#if defined(UART_INTERRUPTS)
    NVIC_IPR(UART_IRQ) = 0x40;
    NVIC_ISER(UART_IRQ / 32) = 1u << (UART_IRQ % 32);
    UART_CR1 |= UART_CR1_RXNEIE;
    printf("uart ready (interrupts), %d\n", 42);
#else
    printf("uart ready (polled), %d\n", 42);
#endif
    for (;;) {
        int byte = next_byte();
        received++;
        uart_putc((char)byte);
    }
}
