/* A two-task preemptive scheduler, as an RTOS port does it: SysTick pends PendSV, PendSV switches
 * the tasks' contexts on the process stack (R4-R11 by hand, and S16-S31 when the task's frame is
 * an extended one, i.e. EXC_RETURN bit 4 clear), critical sections mask with BASEPRI, and both
 * tasks do floating-point work whose exact results they check, so a lost FP register shows.
 *
 * Built hard-float for the Cortex-M7 (FPv5-D16) and the Cortex-M4 (FPv4-SP-D16), with automatic
 * FP context stacking (FPCCR.ASPEN, the reset value). The test reads the counters. */
#include <stdint.h>
#include "chip.h"

#define STACK_WORDS 512
#define TICK_CYCLES 20000u
/* Critical sections mask interrupts of priority 0x20 and below (numerically above). */
#define CRITICAL_BASEPRI 0x20
/* The shared count at which `milestone` is called, for the debugger's breakpoint. */
#define MILESTONE 40

struct task {
    uint32_t *sp; /* saved PSP: R4-R11, EXC_RETURN, then (S16-S31) and the hardware frame */
};

static uint32_t stack_a[STACK_WORDS] __attribute__((aligned(8)));
static uint32_t stack_b[STACK_WORDS] __attribute__((aligned(8)));
struct task tasks[2];
volatile uint32_t current_task;

volatile uint32_t switches;
volatile uint32_t rounds[2];
volatile uint32_t mismatches[2];
volatile uint32_t shared_counter;
volatile uint32_t critical_violations;
volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
    SCB_ICSR = SCB_ICSR_PENDSVSET;
}

/* Saves the running task's context, picks the other task, restores its context. */
__attribute__((naked)) void PendSV_Handler(void)
{
    __asm volatile(
        "   mrs r0, psp\n"
        "   tst lr, #0x10\n"
        "   it eq\n"
        "   vstmdbeq r0!, {s16-s31}\n"
        "   stmdb r0!, {r4-r11, lr}\n"
        "   ldr r1, =current_task\n"
        "   ldr r2, [r1]\n"
        "   ldr r3, =tasks\n"
        "   str r0, [r3, r2, lsl #2]\n"
        "   eor r2, r2, #1\n"
        "   str r2, [r1]\n"
        "   ldr r0, [r3, r2, lsl #2]\n"
        "   ldr r1, =switches\n"
        "   ldr r2, [r1]\n"
        "   adds r2, #1\n"
        "   str r2, [r1]\n"
        "   ldmia r0!, {r4-r11, lr}\n"
        "   tst lr, #0x10\n"
        "   it eq\n"
        "   vldmiaeq r0!, {s16-s31}\n"
        "   msr psp, r0\n"
        "   isb\n"
        "   bx lr\n");
}

/* Called once when the shared counter reaches MILESTONE. */
__attribute__((noinline)) void milestone(void) { __asm volatile(""); }

/* Increments the shared counter inside a BASEPRI critical section, checking that nothing of
 * lower urgency (the tick, the switch) ran in between. */
static void critical_increment(void)
{
    uint32_t saved = get_basepri();
    set_basepri(CRITICAL_BASEPRI);
    isb();
    uint32_t before_switches = switches;
    uint32_t value = shared_counter;
    for (volatile int spin = 0; spin < 200; spin++) {
    }
    shared_counter = value + 1;
    if (switches != before_switches) {
        critical_violations++;
    }
    set_basepri(saved);
    isb();
    if (value + 1 == MILESTONE) {
        milestone();
    }
}

/* Task A: single precision. Loads a pattern into S16-S31 (callee-saved, only kept across a
 * switch by the scheduler), runs long enough to be preempted, then checks it; and sums a series
 * whose exact value is known. */
static void task_a(void)
{
    for (;;) {
        float sum = 0.0f;
        for (int k = 1; k <= 256; k++) {
            sum += (float)k * 0.5f; /* exact in binary32: 0.25 * n * (n + 1) */
        }
        __asm volatile(
            "vmov.f32 s16, #1.0\n vmov.f32 s17, #2.0\n vmov.f32 s18, #3.0\n vmov.f32 s19, #4.0\n"
            "vmov.f32 s20, #5.0\n vmov.f32 s21, #6.0\n vmov.f32 s22, #7.0\n vmov.f32 s23, #8.0\n"
            "vmov.f32 s24, #9.0\n vmov.f32 s25, #10.0\n vmov.f32 s26, #11.0\n vmov.f32 s27, #12.0\n"
            "vmov.f32 s28, #13.0\n vmov.f32 s29, #14.0\n vmov.f32 s30, #15.0\n vmov.f32 s31, #16.0\n" ::
                : "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26",
                  "s27", "s28", "s29", "s30", "s31");
        for (volatile int spin = 0; spin < 3000; spin++) {
        }
        float check;
        __asm volatile(
            "vadd.f32 %0, s16, s17\n vadd.f32 %0, %0, s18\n vadd.f32 %0, %0, s19\n"
            "vadd.f32 %0, %0, s20\n vadd.f32 %0, %0, s21\n vadd.f32 %0, %0, s22\n"
            "vadd.f32 %0, %0, s23\n vadd.f32 %0, %0, s24\n vadd.f32 %0, %0, s25\n"
            "vadd.f32 %0, %0, s26\n vadd.f32 %0, %0, s27\n vadd.f32 %0, %0, s28\n"
            "vadd.f32 %0, %0, s29\n vadd.f32 %0, %0, s30\n vadd.f32 %0, %0, s31\n"
            : "=&t"(check));
        if (sum != 16448.0f || check != 136.0f) {
            mismatches[0]++;
        }
        critical_increment();
        rounds[0]++;
    }
}

/* Task B: the same with other values, and a product chain checked exactly. */
static void task_b(void)
{
    for (;;) {
        float product = 1.0f;
        for (int k = 0; k < 20; k++) {
            product *= 1.5f;
        }
        __asm volatile(
            "vmov.f32 s16, #-1.0\n vmov.f32 s17, #-2.0\n vmov.f32 s18, #-3.0\n vmov.f32 s19, #-4.0\n"
            "vmov.f32 s20, #-5.0\n vmov.f32 s21, #-6.0\n vmov.f32 s22, #-7.0\n vmov.f32 s23, #-8.0\n"
            "vmov.f32 s24, #-9.0\n vmov.f32 s25, #-10.0\n vmov.f32 s26, #-11.0\n vmov.f32 s27, #-12.0\n"
            "vmov.f32 s28, #-13.0\n vmov.f32 s29, #-14.0\n vmov.f32 s30, #-15.0\n vmov.f32 s31, #-16.0\n" ::
                : "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26",
                  "s27", "s28", "s29", "s30", "s31");
        for (volatile int spin = 0; spin < 2000; spin++) {
        }
        float check;
        __asm volatile(
            "vadd.f32 %0, s16, s17\n vadd.f32 %0, %0, s18\n vadd.f32 %0, %0, s19\n"
            "vadd.f32 %0, %0, s20\n vadd.f32 %0, %0, s21\n vadd.f32 %0, %0, s22\n"
            "vadd.f32 %0, %0, s23\n vadd.f32 %0, %0, s24\n vadd.f32 %0, %0, s25\n"
            "vadd.f32 %0, %0, s26\n vadd.f32 %0, %0, s27\n vadd.f32 %0, %0, s28\n"
            "vadd.f32 %0, %0, s29\n vadd.f32 %0, %0, s30\n vadd.f32 %0, %0, s31\n"
            : "=&t"(check));
        /* 1.5^k is exact in binary32 up to k = 15 (3^15 < 2^24); the last five products round
         * to nearest: the chain ends at 0x454FD41C = 3325.2568359375. */
        if (product != 3325.2568359375f || check != -136.0f) {
            mismatches[1]++;
        }
        critical_increment();
        rounds[1]++;
    }
}

/* A fresh task's stack: the hardware frame its first exception return pops (basic frame,
 * xPSR with T), and R4-R11 + EXC_RETURN (thread mode, PSP, basic frame) for PendSV. */
static uint32_t *initial_stack(uint32_t *top, void (*entry)(void))
{
    uint32_t *sp = top;
    *--sp = 0x01000000;              /* xPSR: T */
    *--sp = (uint32_t)entry;         /* return address */
    *--sp = 0xFFFFFFFD;              /* LR: a task never returns */
    for (int r = 0; r < 5; r++) {    /* R12, R3, R2, R1, R0 */
        *--sp = 0;
    }
    *--sp = 0xFFFFFFFD;              /* EXC_RETURN: thread, PSP, no FP frame */
    for (int r = 0; r < 8; r++) {    /* R11..R4 */
        *--sp = 0;
    }
    return sp;
}

int main(void)
{
    tasks[0].sp = initial_stack(&stack_a[STACK_WORDS], task_a);
    tasks[1].sp = initial_stack(&stack_b[STACK_WORDS], task_b);
    /* PendSV and SysTick at the lowest urgency, below the critical sections' BASEPRI. */
    SCB_SHPR(PENDSV_PRIORITY_INDEX) = 0xF0;
    SCB_SHPR(SYSTICK_PRIORITY_INDEX) = 0xF0;
    SYST_RVR = TICK_CYCLES - 1;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    /* Start task A: thread mode on its PSP (skipping the frames its stack holds for PendSV). */
    current_task = 0;
    uint32_t *sp = tasks[0].sp + 9 + 8;
    __asm volatile(
        "msr psp, %0\n"
        "movs r0, #2\n"
        "msr control, r0\n"
        "isb\n"
        "bx %1\n" ::"r"(sp),
        "r"((uint32_t)task_a | 1)
        : "r0", "memory");
    for (;;) {
    }
}
